"""Aesthetic products: one catalogue per organisation (so a recalled lot is found across all its
practices), kept by any practice of it whose staff hold stock:write.

A product has a trade name (unique in the organisation), a brand, a kind (toxin, filler, skin
booster, other), the unit its amounts are counted in (units or ml), whether it is
prescription-only, and a reorder level below which ``lowStock`` lists it. Amounts are integers
in thousandths of the unit (``_milli``); the graph shows them as exact decimals. A product is
archived rather than deleted (its batches and movements keep pointing at it); its unit may not
change once any practice has stocked it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from uuid import UUID, uuid4

from tortoise.exceptions import IntegrityError

from db.models import Product
from db.outbox import PendingEvent
from db.queries import aesthetic_stock as queries
from db.tenancy import OrganizationId, PracticeId
from db.uow import UnitOfWork, unit_of_work
from services import actors, audit, tenant_gate
from services.errors import Conflict, NotFound, PolicyDenied, ValidationFailed
from services.patients import validation as v
from services.policy import Scope
from services.principal import Principal
from services.scheduling.kinds import AestheticKind

TOPIC = "stock"  # practice-level events of stock keeping (no patient data)
MAX_LEVEL_MILLI = 100_000 * 1000  # a reorder level above 100,000 units or ml is a typo


ProductKind = AestheticKind  # one vocabulary for products, forms and appointment types


class StockUnit(StrEnum):
    UNITS = "UNITS"
    ML = "ML"


@dataclass(frozen=True, slots=True)
class ProductSpec:
    """A product's values; on update, ``None`` leaves a value as it is."""

    name: str | None = None
    brand: str | None = None
    kind: ProductKind | None = None
    unit: StockUnit | None = None
    prescription_only: bool | None = None
    reorder_level: Decimal | None = None
    archived: bool | None = None


def to_milli(value: Decimal, field: str) -> int:
    """An exact decimal amount as thousandths; more than three decimal places, or not a
    number, is BAD_USER_INPUT naming ``field``. A JSON number (a float on the way in: 0.1 is
    0.1000000000000000055…) is read as the shortest decimal that float prints as."""
    try:
        if value.is_finite() and value.as_tuple().exponent < -3:  # type: ignore[operator]
            written = float(value)
            if Decimal(written) == value:
                value = Decimal(repr(written))
        scaled = value * 1000
        if not scaled.is_finite() or scaled != scaled.to_integral_value():
            raise ValidationFailed("Give an amount with at most three decimals.", field=field)
        return int(scaled)
    except InvalidOperation:
        raise ValidationFailed("Give an amount as a number.", field=field) from None


def from_milli(milli: int) -> Decimal:
    """Thousandths back to an exact decimal with three places (``1500`` -> ``1.500``)."""
    return Decimal(milli).scaleb(-3).quantize(Decimal("0.001"))


def _level(value: Decimal) -> int:
    milli = to_milli(value, "reorderLevel")
    if not 0 <= milli <= MAX_LEVEL_MILLI:
        raise ValidationFailed("A reorder level is 0 to 100,000.", field="reorderLevel")
    return milli


def _cleaned(spec: ProductSpec, *, creating: bool) -> dict[str, object]:
    values: dict[str, object] = {}
    if spec.name is not None or creating:
        values["name"] = v.text(spec.name or "", "name", max_length=120, required=True)
    if spec.brand is not None or creating:
        values["brand"] = v.text(spec.brand or "", "brand", max_length=120, required=True)
    if spec.kind is not None:
        values["kind"] = spec.kind.value
    elif creating:
        raise ValidationFailed("'kind' is required.", field="kind")
    if spec.unit is not None:
        values["unit"] = spec.unit.value
    elif creating:
        raise ValidationFailed("'unit' is required.", field="unit")
    if spec.prescription_only is not None:
        values["prescription_only"] = spec.prescription_only
    if spec.reorder_level is not None:
        values["reorder_level_milli"] = _level(spec.reorder_level)
    if spec.archived is not None:
        values["active"] = not spec.archived
    return values


_FIELD_NAMES = {
    "name": "name",
    "brand": "brand",
    "kind": "kind",
    "unit": "unit",
    "prescription_only": "prescriptionOnly",
    "reorder_level_milli": "reorderLevel",
    "active": "archived",
}


def organization_of(principal: Principal, pid: PracticeId) -> OrganizationId:
    """The practice's organisation (``tenant_gate.practice_for`` already proved it is known)."""
    organization = principal.organization_of(pid)
    if organization is None:
        raise NotFound("Practice")
    return organization


async def writable(principal: Principal, practice_id: UUID, action: str) -> PracticeId:
    """The practice if the caller keeps its stock; a reader who may not write is FORBIDDEN
    (and audited), anyone else gets NOT_FOUND as for a random id."""
    pid = tenant_gate.practice_for(principal, practice_id, Scope.STOCK_READ)
    if not principal.has_scope(Scope.STOCK_WRITE, pid):
        await audit.record_denied(principal, action=action, practice_id=pid)
        raise PolicyDenied("You do not have permission to change this practice's stock.")
    return pid


def changed(
    uow: UnitOfWork,
    principal: Principal,
    pid: PracticeId,
    *,
    action: str,
    entity_type: str,
    entity_id: UUID,
    event: str,
    fields: list[str],
    payload: dict[str, object] | None = None,
) -> None:
    """Audit (field names only) and an ids-only practice event, in the caller's unit of work."""
    uow.audit(
        audit.record_for(
            principal,
            action=action,
            practice_id=pid,
            entity_type=entity_type,
            entity_id=entity_id,
            fields=sorted(fields),
        )
    )
    uow.emit(
        PendingEvent(
            organization_id=organization_of(principal, pid),
            practice_id=pid,
            topic=TOPIC,
            type=event,
            entity_id=entity_id,
            payload=actors.stamped(dict(payload or {}), principal),
        )
    )


async def products(
    principal: Principal,
    *,
    practice_id: UUID,
    include_archived: bool = False,
    after: tuple[str, UUID] | None = None,
    limit: int = 101,
) -> list[Product]:
    """The practice's organisation's products by name (stock:read in the practice)."""
    pid = tenant_gate.practice_for(principal, practice_id, Scope.STOCK_READ)
    return await queries.products(
        organization_of(principal, pid),
        include_archived=include_archived,
        after=after,
        limit=limit,
    )


async def create(principal: Principal, *, practice_id: UUID, spec: ProductSpec) -> Product:
    pid = await writable(principal, practice_id, "CREATE aesthetic_product")
    organization = organization_of(principal, pid)
    values = _cleaned(spec, creating=True)
    product = Product(id=uuid4(), organization_id=organization, **values)
    try:
        async with unit_of_work() as uow:
            if await queries.product_named(organization, str(product.name), uow.connection):
                raise _same_name()
            await product.save(using_db=uow.connection)
            changed(
                uow,
                principal,
                pid,
                action="CREATE aesthetic_product",
                entity_type="Product",
                entity_id=UUID(str(product.id)),
                event="PRODUCT_CHANGED",
                fields=[_FIELD_NAMES[k] for k in values],
            )
    except IntegrityError:  # the same name created at the same moment elsewhere
        raise _same_name() from None
    return product


def _same_name() -> Conflict:
    return Conflict("Your organisation already has a product of this name.", field="name")


async def update(
    principal: Principal, *, practice_id: UUID, product_id: UUID, spec: ProductSpec
) -> tuple[Product, list[str]]:
    """Change (or archive, or restore) a product of the practice's organisation; the names of
    the fields that changed."""
    pid = await writable(principal, practice_id, "UPDATE aesthetic_product")
    organization = organization_of(principal, pid)
    if await queries.product(organization, product_id) is None:
        raise NotFound("Product")
    values = _cleaned(spec, creating=False)
    try:
        return await _updated(principal, pid, organization, product_id, values)
    except IntegrityError:  # renamed to a name taken at the same moment
        raise _same_name() from None


async def _updated(
    principal: Principal,
    pid: PracticeId,
    organization: OrganizationId,
    product_id: UUID,
    values: dict[str, object],
) -> tuple[Product, list[str]]:
    async with unit_of_work() as uow:
        product = await queries.product(organization, product_id, uow.connection, for_update=True)
        if product is None:
            raise NotFound("Product")
        moved = [k for k, value in values.items() if getattr(product, k) != value]
        if "name" in moved and await queries.product_named(
            organization, str(values["name"]), uow.connection
        ):
            raise _same_name()
        if "unit" in moved and await queries.product_is_stocked(
            organization, product_id, uow.connection
        ):
            raise Conflict("A stocked product's unit cannot change.", field="unit")
        for key in moved:
            setattr(product, key, values[key])
        if moved:
            await product.save(using_db=uow.connection)
            changed(
                uow,
                principal,
                pid,
                action="UPDATE aesthetic_product",
                entity_type="Product",
                entity_id=product_id,
                event="PRODUCT_CHANGED",
                fields=[_FIELD_NAMES[k] for k in moved],
            )
    return product, sorted(_FIELD_NAMES[k] for k in moved)
