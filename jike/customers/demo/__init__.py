"""Deterministic demo data: Anhui's real cities and counties, staff per DOMAIN.md section 11,
group customers with hierarchies, key persons, events, members and service teams."""
