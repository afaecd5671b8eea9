"""Validation rules that reject expensive documents before any resolver or SQL runs."""

from __future__ import annotations

from typing import Any

from graphql import (
    ASTValidationRule,
    DirectiveNode,
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    VariableNode,
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


def cost_rule(limit: int, max_page: int) -> type[ASTValidationRule]:
    """Each field costs 1 times the page sizes of the lists above it; fragments are expanded."""

    class QueryCost(ASTValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            cost = self._cost(node.selection_set, 1, set())
            if cost > limit:
                self.report_error(
                    GraphQLError(
                        f"The query is too expensive (cost {cost}, limit {limit}).",
                        nodes=[node],
                        extensions={"code": "QUERY_TOO_COMPLEX", "cost": cost},
                    )
                )

        def _multiplier(self, field: FieldNode) -> int:
            for argument in field.arguments or ():
                if argument.name.value in PAGE_ARGUMENTS:
                    if isinstance(argument.value, IntValueNode):
                        return max(1, min(int(argument.value.value), max_page))
                    if isinstance(argument.value, VariableNode):
                        return max_page
            return 1

        def _cost(self, selection_set: SelectionSetNode | None, factor: int, seen: set[str]) -> int:
            if selection_set is None:
                return 0
            total = 0
            for selection in selection_set.selections:
                if isinstance(selection, FieldNode):
                    inner = factor * self._multiplier(selection)
                    total += factor + self._cost(selection.selection_set, inner, seen)
                elif isinstance(selection, InlineFragmentNode):
                    total += self._cost(selection.selection_set, factor, seen)
                elif isinstance(selection, FragmentSpreadNode):
                    name = selection.name.value
                    fragment = self.context.get_fragment(name)
                    if fragment is None or name in seen:
                        continue  # unknown or cyclic: other rules report it
                    total += self._cost(fragment.selection_set, factor, seen | {name})
                if total > limit * 10:
                    return total  # already far over; stop walking a hostile document
            return total

    return QueryCost
