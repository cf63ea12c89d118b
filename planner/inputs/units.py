"""Unit conversions shared by every layer, so each factor is written once."""

MS_PER_S = 1000.0
SECONDS_PER_MINUTE = 60.0
MINUTES_PER_HOUR = 60.0
SECONDS_PER_HOUR = 3600.0
HOURS_PER_WEEK = 168.0
WEEKS_PER_MONTH = 52.0 / 12.0  # an average month: deploys per week -> per month
GB = 1e9  # bytes per GB; datasheets and model cards quote decimal gigabytes
BILLION = 1e9  # model parameters are quoted in billions
MILLION = 1e6  # prices per million tokens, tracing per million spans
TB = 1e12  # bytes per TB; memory bandwidth is quoted in decimal TB/s
PERCENT = 100.0  # a whole, in percent (availability targets, error budgets)
KIB = 1024  # bytes per kB and kB per MB where sizes are binary (file sizes, ru_maxrss)


def ms_to_s(ms: float) -> float:
    """Milliseconds to seconds."""
    return ms / MS_PER_S


def s_to_ms(seconds: float) -> float:
    """Seconds to milliseconds."""
    return seconds * MS_PER_S


def size_text(size_bytes: int) -> str:
    """A file size in words: '312 bytes', '48 kB', '30.0 MB' (binary kB and MB, as upload widgets count them)."""
    if size_bytes < KIB:
        return f"{size_bytes:,} bytes"
    if size_bytes < KIB * KIB:
        return f"{size_bytes / KIB:,.0f} kB"
    return f"{size_bytes / (KIB * KIB):,.1f} MB"
