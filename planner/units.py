"""Unit conversions shared by the estimation modules, so each factor is written once."""

SECONDS_PER_MINUTE = 60.0
MINUTES_PER_HOUR = 60.0
SECONDS_PER_HOUR = 3600.0
HOURS_PER_WEEK = 168.0
WEEKS_PER_MONTH = 52.0 / 12.0  # an average month: deploys per week -> per month
