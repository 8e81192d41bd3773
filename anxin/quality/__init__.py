"""Quality monitoring: KPI catalog, rollups, alert rules, dashboards, monthly report (KPI-1..5)."""
