"""The NHS activity report and the practice's NHS contract years in the schema (definitions in
``services.reports.nhs``)."""

from __future__ import annotations

from datetime import date

import strawberry

from db.models import NhsContractYear as ContractRow
from graph.audit_extension import ReadRecord
from graph.ids import IdFields
from graph.schema.billing_fees import NhsCourseBand
from graph.schema.reports import ReportPractice, ReportScope, read_record_of, scope_of
from services.billing.nhs_bands import Band
from services.reports import nhs, series
from services.reports.nhs import ContractYear, NhsActivity

NhsDeliveryStatus = strawberry.enum(
    nhs.Delivery,
    name="NhsDeliveryStatus",
    description="Year-to-date UDAs delivered against the pro rata contract target: "
    "UNDER_DELIVERY below 96 % (the shortfall can be clawed back), WITHIN_TOLERANCE from 96 % "
    "to 102 %, OVER_DELIVERY above 102 % (activity beyond 102 % is not paid).",
)


@strawberry.type(
    description="One year of a practice's NHS England contract: from startsOn to the day "
    "before the same date a year later."
)
class NhsContractYear:
    starts_on: date = strawberry.field(description="Its first day.")
    ends_on: date = strawberry.field(description="Its last day.")
    annual_uda_target: int = strawberry.field(description="UDAs commissioned for the year.")

    @classmethod
    def of(cls, year: ContractYear) -> NhsContractYear:
        return cls(
            starts_on=year.starts_on,
            ends_on=year.ends_on,
            annual_uda_target=year.annual_uda_target,
        )

    @classmethod
    def from_model(cls, row: ContractRow) -> NhsContractYear:
        return cls.of(ContractYear(row.starts_on, row.annual_uda_target))


@strawberry.type(description="Courses of one band completed in a bucket.")
class NhsBandFigures:
    band: NhsCourseBand = strawberry.field(description="The band frozen at completion.")  # type: ignore[valid-type]
    courses: int = strawberry.field(description="Courses completed.")
    udas_hundredths: int = strawberry.field(description="Their UDAs, in hundredths.")


@strawberry.type(
    description="NHS England activity of a bucket (or the period): courses COMPLETED on its "
    "days (completedOn; open and cancelled courses never count), by the band and UDAs frozen "
    "at completion, against the contract target."
)
class NhsActivityFigures:
    first_day: date = strawberry.field(description="The bucket's first day.")
    last_day: date = strawberry.field(description="The bucket's last day.")
    courses: int = strawberry.field(description="Courses completed, every band.")
    udas_hundredths: int = strawberry.field(
        description="UDAs delivered (those courses' UDAs), in hundredths (1.2 UDAs = 120)."
    )
    by_band: list[NhsBandFigures] = strawberry.field(
        description="Every band in order (BAND_1, BAND_2A, BAND_2B, BAND_2C, BAND_3, URGENT)."
    )
    target_udas_hundredths: int | None = strawberry.field(
        description="The pro rata contract target for these days, in hundredths: the days from "
        "a contract year's start to day D are worth round(annual target × days ÷ days in the "
        "contract year), and a bucket gets that at its last day less that at the day before "
        "its first (a contract year's buckets add up to its annual target exactly); days no "
        "contract year covers add nothing. Null when none of its days is covered."
    )
    year_to_date_udas_hundredths: int | None = strawberry.field(
        description="UDAs delivered from the start of the contract year covering the last day "
        "up to that day (also before the period asked), in hundredths; null without a "
        "contract year that day."
    )
    year_to_date_target_udas_hundredths: int | None = strawberry.field(
        description="The pro rata target from that contract year's start to the last day, in "
        "hundredths."
    )
    year_to_date_position: float | None = strawberry.field(
        description="yearToDateUdasHundredths ÷ yearToDateTargetUdasHundredths (1 = on "
        "target; 4 places)."
    )
    year_to_date_status: NhsDeliveryStatus | None = strawberry.field(  # type: ignore[valid-type]
        description="Where the year-to-date position lies against the 96-102 % tolerance band."
    )

    @classmethod
    def of(cls, first: date, last: date, f: NhsActivity) -> NhsActivityFigures:
        return cls(
            first_day=first,
            last_day=last,
            courses=f.total_courses,
            udas_hundredths=f.total_udas,
            by_band=[
                NhsBandFigures(
                    band=Band(b), courses=f.courses.get(b, 0), udas_hundredths=f.udas.get(b, 0)
                )
                for b in nhs.BANDS
            ],
            target_udas_hundredths=f.target,
            year_to_date_udas_hundredths=f.ytd_udas,
            year_to_date_target_udas_hundredths=f.ytd_target,
            year_to_date_position=f.ytd_position,
            year_to_date_status=f.ytd_status,
        )


@strawberry.type(description="One practice's NHS activity (or the organisation's combined).")
class NhsActivitySeries:
    practice: ReportPractice | None = strawberry.field(
        description="The practice; null for the organisation's practices combined."
    )
    contract_years: list[NhsContractYear] = strawberry.field(
        description="The practice's contract years overlapping the period (empty: no "
        "contract, so no target; always empty for the combined series)."
    )
    buckets: list[NhsActivityFigures] = strawberry.field(description="One per bucket, in order.")
    total: NhsActivityFigures = strawberry.field(
        description="The whole period: courses, UDAs and target summed; year to date as at "
        "its last day."
    )

    @classmethod
    def of(
        cls, found: series.Series[NhsActivity], years: list[ContractYear], first: date, last: date
    ) -> NhsActivitySeries:
        return cls(
            practice=ReportPractice.from_calendar(found.practice),
            contract_years=[NhsContractYear.of(y) for y in years],
            buckets=[NhsActivityFigures.of(b.first_day, b.last_day, f) for b, f in found.buckets],
            total=NhsActivityFigures.of(first, last, found.total),
        )


@strawberry.type(
    description="NHS England activity by bucket of the completion day: courses by band, UDAs "
    "delivered against the contract's pro rata target, and the year-to-date position against "
    "the 96-102 % tolerance band. Only practices in England are counted."
)
class NhsActivityReport:
    scope: ReportScope = strawberry.field(description="What was counted.")
    practices: list[NhsActivitySeries] = strawberry.field(
        description="Per practice in England (empty for a practice report of a practice elsewhere)."
    )
    combined: NhsActivitySeries = strawberry.field(
        description="The practices counted, added bucket by bucket (year to date: those with "
        "a contract year on the day)."
    )
    outside_england: list[ReportPractice] = strawberry.field(
        description="Practices asked about but not counted: they are not in England, so hold "
        "no NHS England contract."
    )
    _record: strawberry.Private[ReadRecord]

    def read_record(self) -> ReadRecord:
        return self._record

    @classmethod
    def from_report(cls, found: nhs.NhsReport) -> NhsActivityReport:
        report = found.report
        first, last = report.period.first_day, report.period.last_day
        return cls(
            scope=scope_of(report),
            practices=[
                NhsActivitySeries.of(
                    s,
                    found.contracts.get(s.practice.practice_id, []) if s.practice else [],
                    first,
                    last,
                )
                for s in report.practices
            ],
            combined=NhsActivitySeries.of(report.combined, [], first, last),
            outside_england=[
                p for p in map(ReportPractice.from_calendar, found.outside_england) if p
            ],
            _record=read_record_of(report),
        )


@strawberry.input(
    description="Set the annual UDA target of one contract year of a practice in England "
    "(practice:write). Setting a year that starts on the same day again replaces its target."
)
class SetNhsContractYearInput(IdFields):
    practice_id: strawberry.ID = strawberry.field(description="The practice (in England).")
    starts_on: date = strawberry.field(
        description="The contract year's first day (most start on 1 April); it runs to the day "
        "before the same date a year later and may not overlap another year of the practice."
    )
    annual_uda_target: int = strawberry.field(
        description="UDAs commissioned for the year (1 to 1,000,000)."
    )


@strawberry.type(description="The contract year after the change.")
class NhsContractYearPayload:
    contract_year: NhsContractYear | None = strawberry.field(description="The contract year.")
