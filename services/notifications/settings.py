"""The NOTIFICATIONS section of the config, with its defaults, read once per worker.

    NOTIFICATIONS:
      smtp_host / smtp_port / smtp_starttls / smtp_username / smtp_password / smtp_timeout_s
      from_address: "Aarya <no-reply@aarya.local>"
      max_attempts: 5         # sends per message before it stays failed
      retry_base_s: 30        # backoff: retry_base_s * 2^(attempt-1), capped by retry_max_s
      retry_max_s: 3600
      send_lease_s: 120       # an attempt in flight blocks other senders this long
      sms_provider: sandbox
      shop_name: Aarya
      shop_url: http://127.0.0.1:8080
"""
from kit.retry import delay_after


def notification_settings(config):
    s = config.get("NOTIFICATIONS") or {}
    return {
        "max_attempts": int(s.get("max_attempts") or 5),
        "retry_base_s": float(s.get("retry_base_s") or 30),
        "retry_max_s": float(s.get("retry_max_s") or 3600),
        "send_lease_s": float(s.get("send_lease_s") or 120),
        "shop_name": s.get("shop_name") or "Aarya",
        "shop_url": str(s.get("shop_url") or "http://127.0.0.1:8080").rstrip("/"),
    }


def backoff_s(settings, attempts):
    """Seconds to wait after the `attempts`-th failed attempt: base, 2×base, 4×base, …"""
    return delay_after(attempts, settings["retry_base_s"], settings["retry_max_s"])
