"""Validation rules that reject expensive documents before any resolver or SQL runs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    ASTValidationRule,
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    VariableNode,
    get_operation_ast,
)

# Arguments that multiply the cost of everything selected below them.
PAGE_ARGUMENTS = ("first", "last", "limit")


def max_directives_rule(limit: int) -> type[ASTValidationRule]:
    class MaxDirectives(ASTValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self.count = 0
            self.reported = False

        def enter_directive(self, node: DirectiveNode, *_: Any) -> None:
            self.count += 1
            if self.count > limit and not self.reported:
                self.reported = True
                self.report_error(
                    GraphQLError(
                        f"Too many directives in the document (limit {limit}).",
                        extensions={"code": "QUERY_TOO_COMPLEX"},
                    )
                )

    return MaxDirectives


def selection_cost(
    selection_set: SelectionSetNode | None,
    factor: int,
    fragments: Mapping[str, FragmentDefinitionNode],
    max_page: int,
    ceiling: int,
    seen: frozenset[str] = frozenset(),
) -> int:
    """Each field costs ``factor`` times the page sizes of the lists above it; fragments are
    expanded (unknown or cyclic ones count nothing: validation reports them). The walk stops
    once the total passes ``ceiling``, so a hostile document costs little to price."""
    if selection_set is None:
        return 0
    total = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            inner = factor * _multiplier(selection, max_page)
            total += factor + selection_cost(
                selection.selection_set, inner, fragments, max_page, ceiling, seen
            )
        elif isinstance(selection, InlineFragmentNode):
            total += selection_cost(
                selection.selection_set, factor, fragments, max_page, ceiling, seen
            )
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is None or name in seen:
                continue
            total += selection_cost(
                fragment.selection_set, factor, fragments, max_page, ceiling, seen | {name}
            )
        if total > ceiling:
            return total  # already far over; stop walking a hostile document
    return total


def _multiplier(field: FieldNode, max_page: int) -> int:
    for argument in field.arguments or ():
        if argument.name.value in PAGE_ARGUMENTS:
            if isinstance(argument.value, IntValueNode):
                return max(1, min(int(argument.value.value), max_page))
            if isinstance(argument.value, VariableNode):
                return max_page
    return 1


def operation_cost(
    document: DocumentNode, operation_name: str | None, max_page: int, ceiling: int
) -> int:
    """The cost the validation rule computes, for the operation a request runs (at least 1);
    the budgets (``graph.budgets``) charge it, since a cached validation does not rerun."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return 1
    fragments = {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    return max(1, selection_cost(operation.selection_set, 1, fragments, max_page, ceiling))


def cost_rule(limit: int, max_page: int) -> type[ASTValidationRule]:
    """Each field costs 1 times the page sizes of the lists above it (``selection_cost``)."""

    class QueryCost(ASTValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            fragments = {
                f.name.value: f
                for f in self.context.document.definitions
                if isinstance(f, FragmentDefinitionNode)
            }
            cost = selection_cost(node.selection_set, 1, fragments, max_page, limit * 10)
            if cost > limit:
                self.report_error(
                    GraphQLError(
                        f"The query is too expensive (cost {cost}, limit {limit}).",
                        nodes=[node],
                        extensions={"code": "QUERY_TOO_COMPLEX", "cost": cost},
                    )
                )

    return QueryCost
