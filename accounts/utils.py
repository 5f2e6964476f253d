def mask_name(name: str) -> str:
    """Korean-style masking for a counter screen: 김민수 → 김*수, 김수 → 김*, 남궁민수 → 남**수."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name or "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_email(email: str) -> str:
    local, _, domain = (email or "").partition("@")
    if not domain:
        return "***"
    return (local[:2] + "***") + "@" + domain
