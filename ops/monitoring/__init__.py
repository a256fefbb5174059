"""Prometheus and Grafana: scrape config, alert rules, dashboards."""
