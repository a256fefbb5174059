"""What makes a shipping address deliverable: a real country, its postal code shape, a phone.

Countries are ISO 3166-1 alpha-2. Postal codes are checked against the country's own pattern
where we ship most; elsewhere against a loose shape (2-10 letters, digits, spaces, dashes).
Phones are 7-15 digits with an optional leading +, after dropping spaces, dots, dashes and
brackets; the stored form is that compact one.
"""
import re

COUNTRIES = frozenset("""
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR
BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ
EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW
GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY
KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV
MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY
QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG
TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM
ZW
""".split())

POSTAL_CODES = {
    "IN": r"[1-9][0-9]{5}",
    "US": r"[0-9]{5}(-[0-9]{4})?",
    "GB": r"[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}",
    "CA": r"[A-Z][0-9][A-Z] ?[0-9][A-Z][0-9]",
    "AU": r"[0-9]{4}",
    "DE": r"[0-9]{5}",
    "FR": r"[0-9]{5}",
    "IT": r"[0-9]{5}",
    "ES": r"[0-9]{5}",
    "NL": r"[0-9]{4} ?[A-Z]{2}",
    "JP": r"[0-9]{3}-?[0-9]{4}",
    "SG": r"[0-9]{6}",
    "AE": r"[0-9]{1,6}",
}
ANY_POSTAL_CODE = r"[A-Z0-9][A-Z0-9 -]{1,9}"
PHONE_SEPARATORS = re.compile(r"[\s().-]")
PHONE = re.compile(r"\+?[0-9]{7,15}")


def is_country(code):
    return code in COUNTRIES


def postal_code_ok(country, postal_code):
    pattern = POSTAL_CODES.get(country, ANY_POSTAL_CODE)
    return re.fullmatch(pattern, postal_code.strip().upper()) is not None


def compact_phone(phone):
    """'+91 98765-43210' -> '+919876543210', or None if it is not a phone number."""
    compact = PHONE_SEPARATORS.sub("", phone or "")
    return compact if PHONE.fullmatch(compact) else None
