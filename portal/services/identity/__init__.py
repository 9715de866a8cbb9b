"""Who is who: staff accounts and sign-in, residents' participation codes, the roster, code slips.

``accounts`` holds sign-in for staff and residents, ``sessions`` the server-side sessions that
keep them signed in, ``throttle`` the guessing limits; ``roster`` the resident register and code
issuing; ``slips`` the printable code slips.
"""

from portal.services.identity.accounts import (
    CODE_ALPHABET,
    CODE_BITS,
    CODE_LENGTH,
    CODE_MAX_FAILURES,
    CODE_MAX_PER_ADDRESS,
    CODE_SLOWDOWN_AFTER,
    CODE_WINDOW,
    LOGIN_LOCK,
    LOGIN_MAX_FAILURES,
    authenticate,
    change_role,
    committee_actor,
    create_user,
    format_code,
    get_committee_actor,
    hash_code,
    issue_code,
    list_users,
    new_code,
    normalise_code,
    reset_password,
    resident_actor,
    revoke_codes,
    set_user_active,
    sign_in_with_code,
    validate_password,
)

__all__ = [
    "CODE_ALPHABET",
    "CODE_BITS",
    "CODE_LENGTH",
    "CODE_MAX_FAILURES",
    "CODE_MAX_PER_ADDRESS",
    "CODE_SLOWDOWN_AFTER",
    "CODE_WINDOW",
    "LOGIN_LOCK",
    "LOGIN_MAX_FAILURES",
    "authenticate",
    "change_role",
    "committee_actor",
    "create_user",
    "format_code",
    "get_committee_actor",
    "hash_code",
    "issue_code",
    "list_users",
    "new_code",
    "normalise_code",
    "reset_password",
    "resident_actor",
    "revoke_codes",
    "set_user_active",
    "sign_in_with_code",
    "validate_password",
]
