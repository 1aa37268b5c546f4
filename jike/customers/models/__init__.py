from jike.customers.models.customer import (
    AttitudeChange,
    Customer,
    KeyEvent,
    KeyPerson,
    Member,
    TeamAssignment,
)
from jike.customers.models.imports import ImportJob, ImportKind, ImportMode, ImportReject, ImportStatus
from jike.customers.models.tiering import (
    Criterion,
    CriterionKey,
    GradeThreshold,
    Scorecard,
    ScorecardStatus,
    TeamSlot,
    TierChange,
)

__all__ = [
    "AttitudeChange",
    "Criterion",
    "CriterionKey",
    "Customer",
    "GradeThreshold",
    "ImportJob",
    "ImportKind",
    "ImportMode",
    "ImportReject",
    "ImportStatus",
    "KeyEvent",
    "KeyPerson",
    "Member",
    "Scorecard",
    "ScorecardStatus",
    "TeamAssignment",
    "TeamSlot",
    "TierChange",
]
