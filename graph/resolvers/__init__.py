"""Root types, merged from one module per domain."""

from __future__ import annotations

from strawberry.tools import merge_types

from graph.resolvers.account_links import AccountLinkMutations
from graph.resolvers.aesthetic_stock import AestheticStockMutations, AestheticStockQueries
from graph.resolvers.audit import AuditQueries
from graph.resolvers.billing_fees import FeeMutations, FeeQueries
from graph.resolvers.billing_settings import BillingSettingsMutations, BillingSettingsQueries
from graph.resolvers.calendar_feeds import CalendarFeedMutations, CalendarFeedQueries
from graph.resolvers.card_payments import CardPaymentMutations
from graph.resolvers.changes import ChangeQueries
from graph.resolvers.clinical_chart import ClinicalChartMutations, ClinicalChartQueries
from graph.resolvers.clinical_notes import ClinicalNoteMutations, ClinicalNoteQueries
from graph.resolvers.consent import ConsentMutations, ConsentQueries
from graph.resolvers.consent_forms import ConsentFormMutations, ConsentFormQueries
from graph.resolvers.documents import DocumentMutations, DocumentQueries
from graph.resolvers.identity import IdentityMutations, IdentityQueries
from graph.resolvers.injectables import InjectableMutations, InjectableQueries
from graph.resolvers.invoices import InvoiceMutations, InvoiceQueries
from graph.resolvers.jobs import JobMutations, JobQueries
from graph.resolvers.legal_holds import LegalHoldMutations, LegalHoldQueries
from graph.resolvers.messages import MessageMutations, MessageQueries
from graph.resolvers.nodes import NodeQueries
from graph.resolvers.organizations import OrganizationMutations, OrganizationQueries
from graph.resolvers.partner_clients import PartnerClientMutations, PartnerClientQueries
from graph.resolvers.patients import PatientMutations, PatientQueries
from graph.resolvers.payments import PaymentMutations, PaymentQueries
from graph.resolvers.perio import PerioMutations, PerioQueries
from graph.resolvers.photo_series import PhotoSeriesMutations, PhotoSeriesQueries
from graph.resolvers.portal_booking import PortalBookingMutations, PortalBookingQueries
from graph.resolvers.privacy import PrivacyMutations, PrivacyQueries
from graph.resolvers.product_sales import ProductSaleMutations
from graph.resolvers.registrations import RegistrationMutations
from graph.resolvers.reports import ReportQueries
from graph.resolvers.reports_diary import DiaryReportQueries
from graph.resolvers.reports_money import MoneyReportQueries
from graph.resolvers.reports_nhs_recalls import FollowUpReportQueries, NhsContractMutations
from graph.resolvers.scheduling import SchedulingMutations, SchedulingQueries
from graph.resolvers.scheduling_admin import SchedulingAdminMutations
from graph.resolvers.scheduling_catalogue import SchedulingCatalogueQueries
from graph.resolvers.scheduling_rebooking import RebookingQueries
from graph.resolvers.staff import StaffMutations, StaffQueries
from graph.resolvers.subscriptions import EventSubscriptions, NoticeMutations
from graph.resolvers.system import SystemQueries
from graph.resolvers.treatment_plans import TreatmentPlanMutations, TreatmentPlanQueries
from graph.resolvers.trusted_documents import TrustedDocumentMutations, TrustedDocumentQueries
from graph.resolvers.webhooks import WebhookMutations, WebhookQueries

Query = merge_types(
    "Query",
    (
        SystemQueries,
        OrganizationQueries,
        IdentityQueries,
        AuditQueries,
        PatientQueries,
        ClinicalNoteQueries,
        ClinicalChartQueries,
        TreatmentPlanQueries,
        InvoiceQueries,
        InjectableQueries,
        PaymentQueries,
        ReportQueries,
        DiaryReportQueries,
        MoneyReportQueries,
        FollowUpReportQueries,
        ConsentFormQueries,
        PerioQueries,
        SchedulingQueries,
        SchedulingCatalogueQueries,
        RebookingQueries,
        PortalBookingQueries,
        ConsentQueries,
        PrivacyQueries,
        LegalHoldQueries,
        MessageQueries,
        DocumentQueries,
        PhotoSeriesQueries,
        AestheticStockQueries,
        FeeQueries,
        BillingSettingsQueries,
        CalendarFeedQueries,
        StaffQueries,
        JobQueries,
        WebhookQueries,
        ChangeQueries,
        PartnerClientQueries,
        TrustedDocumentQueries,
        NodeQueries,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        IdentityMutations,
        NoticeMutations,
        PatientMutations,
        ClinicalNoteMutations,
        ClinicalChartMutations,
        TreatmentPlanMutations,
        InvoiceMutations,
        ProductSaleMutations,
        InjectableMutations,
        PaymentMutations,
        ConsentFormMutations,
        PerioMutations,
        SchedulingMutations,
        SchedulingAdminMutations,
        RegistrationMutations,
        PortalBookingMutations,
        ConsentMutations,
        PrivacyMutations,
        LegalHoldMutations,
        MessageMutations,
        DocumentMutations,
        PhotoSeriesMutations,
        AestheticStockMutations,
        FeeMutations,
        CardPaymentMutations,
        BillingSettingsMutations,
        NhsContractMutations,
        CalendarFeedMutations,
        StaffMutations,
        OrganizationMutations,
        AccountLinkMutations,
        JobMutations,
        WebhookMutations,
        PartnerClientMutations,
        TrustedDocumentMutations,
    ),
)
Subscription = merge_types("Subscription", (EventSubscriptions,))
