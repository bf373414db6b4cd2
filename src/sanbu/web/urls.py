from django.contrib.auth import views as auth_views
from django.urls import include, path, register_converter

from .views import apps, catalog, elements, home, needs, projects_docs, requests, review, steward
from .views import deliverables as deliverable_views
from .views import inventory as inventory_views
from .views import lifecycle as lifecycle_views
from .views import projects as project_views
from .views import rulesets as ruleset_views
from .views import usage as usage_views


class IdConverter:
    """A database id: at most 18 digits, so an absurd number is a 404, never an integer overflow."""

    regex = "[1-9][0-9]{0,17}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(IdConverter, "id")

urlpatterns = [
    path("login/", home.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", home.home, name="home"),
    path("catalog/", catalog.browse, name="catalog-browse"),
    path("catalog/resources/new/", steward.resource_new, name="resource-new"),
    path("catalog/resources/<id:pk>/", catalog.resource_detail, name="resource-detail"),
    path("catalog/resources/<id:pk>/edit/", steward.resource_edit, name="resource-edit"),
    path("catalog/resources/<id:pk>/versions/", catalog.resource_diff, name="resource-diff"),
    path("catalog/resources/<id:pk>/<slug:action>/", catalog.resource_action, name="resource-action"),
    path("catalog/import/", steward.catalog_import, name="catalog-import"),
    path("catalog/import/template/", steward.catalog_template, name="catalog-template"),
    path("catalog/export/", steward.catalog_export, name="catalog-export"),
    path("catalog/review/", review.review_queue, name="review-queue"),
    path("catalog/review/<id:pk>/", review.review_decide, name="review-decide"),
    path("catalog/elements/", elements.element_list, name="element-list"),
    path("catalog/elements/<id:pk>/", elements.element_detail, name="element-detail"),
    path("catalog/elements/conflicts/", elements.conflicts, name="element-conflicts"),
    path("catalog/elements/conflicts/<id:pk>/resolve/", elements.conflict_resolve, name="conflict-resolve"),
    path("catalog/elements/duplicates/", elements.duplicates, name="element-duplicates"),
    path("catalog/elements/links/", elements.links, name="element-links"),
    path("catalog/items/<id:item_id>/link/", elements.item_link, name="item-link"),
    path("exchange/apps/", apps.app_list, name="exchange-apps"),
    path("exchange/apps/<id:pk>/", apps.app_detail, name="exchange-app"),
    path("exchange/apps/<id:pk>/disable/", apps.app_disable, name="exchange-app-disable"),
    path("exchange/apps/<id:pk>/keys/", apps.key_issue, name="exchange-key-issue"),
    path("exchange/keys/<id:pk>/rotate/", apps.key_rotate, name="exchange-key-rotate"),
    path("exchange/keys/<id:pk>/revoke/", apps.key_revoke, name="exchange-key-revoke"),
    path("exchange/resources/<id:pk>/request/", requests.request_new, name="exchange-request-new"),
    path("exchange/requests/", requests.requests_mine, name="exchange-requests"),
    path("exchange/requests/<id:pk>/", requests.request_detail, name="exchange-request"),
    path("exchange/requests/<id:pk>/resubmit/", requests.request_resubmit, name="exchange-request-resubmit"),
    path("exchange/inbox/", requests.inbox, name="exchange-inbox"),
    path("exchange/inbox/<id:pk>/<slug:action>/", requests.request_act, name="exchange-request-act"),
    path("exchange/ledger/", requests.ledger, name="exchange-ledger"),
    path("exchange/needs/", needs.needs_mine, name="exchange-needs"),
    path("exchange/needs/proposals/", needs.need_proposals, name="exchange-need-proposals"),
    path("exchange/needs/<id:pk>/", needs.need_detail, name="exchange-need"),
    path("exchange/needs/<id:pk>/<slug:action>/", needs.need_act, name="exchange-need-act"),
    path("exchange/queue/", needs.queue, name="exchange-queue"),
    path("exchange/objections/", needs.objections_mine, name="exchange-objections"),
    path("exchange/grants/<id:grant_id>/object/", needs.objection_new, name="exchange-objection-new"),
    path("exchange/objections/<id:pk>/", needs.objection_detail, name="exchange-objection"),
    path("exchange/objections/<id:pk>/<slug:action>/", needs.objection_act, name="exchange-objection-act"),
    path("exchange/usage/", usage_views.usage_index, name="exchange-usage"),
    path("exchange/resources/<id:pk>/usage/", usage_views.resource_usage, name="exchange-resource-usage"),
    path("exchange/resources/<id:pk>/interfaces/", usage_views.interfaces_page, name="exchange-interfaces"),
    path("exchange/interfaces/<id:pk>/<slug:action>/", usage_views.interface_act, name="exchange-interface-act"),
    path("exchange/grants/", usage_views.grants_page, name="exchange-grants"),
    path("exchange/grants/<id:pk>/revoke/", usage_views.grant_revoke, name="exchange-grant-revoke"),
    path("inventory/", inventory_views.system_list, name="inventory-list"),
    path("inventory/new/", inventory_views.system_new, name="inventory-new"),
    path("inventory/import/", inventory_views.inventory_import, name="inventory-import"),
    path("inventory/export/", inventory_views.inventory_export, name="inventory-export"),
    path("inventory/template/", inventory_views.inventory_template, name="inventory-template"),
    path("inventory/<id:pk>/", inventory_views.system_detail, name="inventory-detail"),
    path("inventory/<id:pk>/edit/", inventory_views.system_edit, name="inventory-edit"),
    path("inventory/<id:pk>/retire/", inventory_views.system_retire, name="inventory-retire"),
    path("projects/<id:pk>/approval.<slug:fmt>", projects_docs.approval_doc, name="project-approval-doc"),
    path("dashboard/", include("sanbu.web.views.dashboard")),
    path("dashboard/", include("sanbu.web.views.scoring_docs")),
    path("projects/plans/", lifecycle_views.plans, name="project-plans"),
    path("projects/deliverables/", deliverable_views.deliverable_register, name="project-deliverables"),
    path("projects/plans/<id:pk>/", lifecycle_views.plan_detail, name="project-plan"),
    path("projects/funds/", lifecycle_views.funds_desk, name="project-funds"),
    path("projects/operations/", lifecycle_views.operations_page, name="project-operations"),
    path("projects/operations/<int:year>.<slug:fmt>", lifecycle_views.operations_doc, name="project-operations-doc"),
    path("projects/tranches/<id:pk>/notice.<slug:fmt>", lifecycle_views.funds_notice_doc, name="project-funds-notice"),
    path("projects/recovery/<id:pk>.<slug:fmt>", lifecycle_views.recovery_doc, name="project-recovery-doc"),
    path("projects/<id:pk>/acceptance.<slug:fmt>", lifecycle_views.acceptance_doc, name="project-acceptance-doc"),
    path("projects/<id:pk>/lifecycle/", lifecycle_views.project_lifecycle, name="project-lifecycle"),
    path("projects/rows/<slug:kind>/<id:pk>/<slug:action>/", lifecycle_views.lifecycle_item, name="lifecycle-item"),
    path("projects/", project_views.project_list, name="project-list"),
    path("projects/new/", project_views.project_new, name="project-new"),
    path("projects/check/", project_views.project_check, name="project-check"),
    path("projects/desk/", project_views.desk, name="project-desk"),
    path("projects/resources/", project_views.resource_search, name="project-resource-search"),
    path("projects/resources/pick/", project_views.resource_pick, name="project-resource-pick"),
    path("projects/reviews/", project_views.reviews, name="project-reviews"),
    path("projects/reviews/<id:pk>/", project_views.review, name="project-review"),
    path(
        "projects/acceptance-reviews/<id:pk>/",
        lifecycle_views.acceptance_review_page,
        name="project-acceptance-review",
    ),
    path("projects/experts/", project_views.experts, name="project-experts"),
    path("projects/experts/<id:pk>/active/", project_views.expert_active, name="project-expert-active"),
    path("projects/attachments/<id:pk>/", project_views.attachment_download, name="project-attachment"),
    path(
        "projects/attachments/<id:pk>/remove/",
        project_views.attachment_remove,
        name="project-attachment-remove",
    ),
    path("projects/<id:pk>/", project_views.project_detail, name="project-detail"),
    path("projects/<id:pk>/edit/", project_views.project_edit, name="project-edit"),
    path("projects/<id:pk>/check/", project_views.project_check, name="project-check-edit"),
    path("projects/<id:pk>/attachments/", project_views.attachment_add, name="project-attachment-add"),
    path("projects/<id:pk>/<slug:action>/", project_views.project_act, name="project-act"),
    path("policy/rulesets/", ruleset_views.ruleset_list, name="policy-rulesets"),
    path("policy/versions/<id:pk>/simulate/", ruleset_views.version_simulate, name="policy-version-simulate"),
    path("policy/rulesets/<slug:name>/", ruleset_views.ruleset_detail, name="policy-ruleset"),
    path("policy/rulesets/<slug:name>/value/", ruleset_views.value_field, name="policy-ruleset-value"),
    path(
        "policy/rulesets/<slug:name>/versions/<id:pk>/<slug:action>/",
        ruleset_views.version_act,
        name="policy-ruleset-act",
    ),
    path("notices/", usage_views.notices_page, name="notices"),
    path("notices/<id:pk>/read/", usage_views.notice_read, name="notice-read"),
]
