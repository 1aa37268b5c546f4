from jike.planning.models.plan import AccountPlan, AccountPlanQuerySet
from jike.planning.models.sections import (
    BuyingFactorRow,
    CommunicationPlan,
    CompetitorStrength,
    MarketingPlan,
    PlanRowQuerySet,
    ServiceSite,
    SolutionOption,
)

__all__ = [
    "AccountPlan",
    "AccountPlanQuerySet",
    "BuyingFactorRow",
    "CommunicationPlan",
    "CompetitorStrength",
    "MarketingPlan",
    "PlanRowQuerySet",
    "ServiceSite",
    "SolutionOption",
]
