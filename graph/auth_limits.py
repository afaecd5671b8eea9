"""One credential check per document: aliased copies of ``login`` would multiply guesses."""

from __future__ import annotations

from typing import Any

from graphql import (
    ASTValidationRule,
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

CREDENTIAL_FIELDS = frozenset(
    {
        "login",
        "confirmMfaEnrolment",
        "refreshSession",
        # Emailed single-use links and the requests that send them.
        "acceptInvitation",
        "requestPasswordReset",
        "resetPassword",
        "requestEmailChange",
        "confirmEmailChange",
    }
)


class SingleCredentialCheck(ASTValidationRule):
    def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
        seen = self._root_fields(node.selection_set, set())
        if len(seen) > 1:
            self.report_error(
                GraphQLError(
                    "Only one sign-in or code check is allowed per request.",
                    nodes=seen,
                    extensions={"code": "QUERY_TOO_COMPLEX"},
                )
            )

    def _root_fields(self, selection_set: SelectionSetNode, visited: set[str]) -> list[FieldNode]:
        """Root credential fields, including those hidden in (possibly nested) fragments."""
        found: list[FieldNode] = []
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                if selection.name.value in CREDENTIAL_FIELDS:
                    found.append(selection)
            elif isinstance(selection, InlineFragmentNode):
                found += self._root_fields(selection.selection_set, visited)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.context.get_fragment(name)
                if fragment is not None and name not in visited:
                    found += self._root_fields(fragment.selection_set, visited | {name})
        return found
