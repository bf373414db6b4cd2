"""The one API object; each app adds its router here."""

from ninja import NinjaAPI

from sanbu.catalog.api import router as catalog_router
from sanbu.core.api import ActorSessionAuth, install_error_handlers
from sanbu.core.api import router as audit_router
from sanbu.exchange.api import router as exchange_router
from sanbu.inventory.api import router as inventory_router
from sanbu.orgs.api import router as orgs_router
from sanbu.orgs.ruleset_api import router as policy_router
from sanbu.projects.api import router as projects_router
from sanbu.projects.lifecycle_api import router as project_lifecycle_router
from sanbu.scoring.api import router as scoring_router

api = NinjaAPI(
    title="三不 Sanbu API",
    version="1",
    description="政务信息资源目录、共享交换与信息化项目治理。错误统一为 {code, message, details}，code 为稳定的机器可读代码。",
    auth=ActorSessionAuth(),
    urls_namespace="api",
    docs_url="/docs",
)
install_error_handlers(api)
api.add_router("/orgs", orgs_router)
api.add_router("/catalog", catalog_router)
api.add_router("/exchange", exchange_router)
api.add_router("/inventory", inventory_router)
api.add_router("/projects", projects_router)
api.add_router("/projects", project_lifecycle_router)
api.add_router("/policy", policy_router)
api.add_router("/audit", audit_router)
api.add_router("/scoring", scoring_router)
