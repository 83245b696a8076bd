"""Manager digests and SLA figures: subscriptions, periods, figures in SQL, the chart."""
