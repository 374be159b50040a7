"""Voronka: a sales-funnel CRM whose stages are passed by verifiable facts."""
