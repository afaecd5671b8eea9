"""Root types, merged from one module per domain."""

from __future__ import annotations

from strawberry.tools import merge_types

from graph.resolvers.audit import AuditQueries
from graph.resolvers.identity import IdentityMutations, IdentityQueries
from graph.resolvers.organizations import OrganizationQueries
from graph.resolvers.system import SystemQueries

Query = merge_types("Query", (SystemQueries, OrganizationQueries, IdentityQueries, AuditQueries))
Mutation = merge_types("Mutation", (IdentityMutations,))
