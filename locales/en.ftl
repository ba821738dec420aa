### cress-api: the English catalogue. Every sentence the API answers, by key; the code that
### builds a message names its key (`msg!("key", arg = value)`). locales/fr.ftl has the same keys.

## The kinds of record, singular or plural by $count (Resource::noun)
resource-organisation = { $count ->
        [one] organisation
       *[other] organisations
    }
resource-esus_accreditation = { $count ->
        [one] ESUS accreditation
       *[other] ESUS accreditations
    }
resource-club = { $count ->
        [one] club
       *[other] clubs
    }
resource-club_member = { $count ->
        [one] club member
       *[other] club members
    }
resource-event = { $count ->
        [one] event
       *[other] events
    }
resource-sponsorship = { $count ->
        [one] sponsorship
       *[other] sponsorships
    }
resource-user = { $count ->
        [one] user
       *[other] users
    }
resource-api_client = { $count ->
        [one] API client
       *[other] API clients
    }

## Problem answers (src/http/error.rs, src/core/denial.rs, src/domain/mod.rs)
denial-log-in-to = log in to { $what }: send Authorization: Bearer <token> (see POST /api/v1/auth/token)
field-required-not-null = this field is required and cannot be null
json-unknown-field = unknown field `{ $name }`; the fields are { $expected }
json-missing-field = this field is required
json-duplicate-field = this field appears twice
json-unknown-value = `{ $value }` is not one of { $expected }
length-between = must be { $min } to { $max } characters long
length-at-most = must be at most { $max } characters long
length-at-least = must be at least { $min } characters long
length-wrong = has the wrong length
range-between = must be between { $min } and { $max }
range-at-most = must be at most { $max }
range-at-least = must be at least { $min }
range-out = is out of range
rule-failed = is invalid ({ $rule })
parameter-invalid = invalid query parameter { $name }: { $why }
method-not-allowed = this path answers { $methods }
field-invalid = the field { $field } is invalid
fields-invalid = { $count } fields are invalid: { $fields }
payload-too-large = request body larger than { $limit } bytes
database-unavailable = the database does not answer; try again shortly
request-timeout = the request took longer than { $seconds } seconds and was abandoned; try again shortly
upload-stalled = nothing of the body came for { $seconds } seconds: the upload was abandoned and nothing was imported
internal-error = an unexpected error occurred; it has been logged
admin-listener-metrics-only = the admin listener serves /metrics only
# $kind: organisation, esus_accreditation, club, club_member, event, sponsorship, user, api_client, webhook
record-not-found = no { $kind ->
        [esus_accreditation] ESUS accreditation
        [club_member] club member
        [api_client] API client
       *[other] { $kind }
    } with this id
record-duplicate = another { $kind ->
        [esus_accreditation] ESUS accreditation
        [club_member] club member
        [api_client] API client
       *[other] { $kind }
    } already has { $field } { $value }
record-in-use = this { $kind ->
        [esus_accreditation] ESUS accreditation
        [club_member] club member
        [api_client] API client
       *[other] { $kind }
    } cannot be deleted: it is still referenced by { $holders }
record-contended = the { $kind ->
        [esus_accreditation] ESUS accreditation
        [club_member] club member
        [api_client] API client
       *[other] { $kind }
    } was changed by another request meanwhile; read it again and retry

## Who may do what (src/auth/policy.rs, src/auth/caller.rs)
# $action: read, create, update or delete; $noun: the kind's plural (Resource::noun)
policy-action = { $action ->
        [read] read
        [create] create
        [update] change
       *[delete] delete
    } { $noun }
policy-register-field = a partner may not change the { $field } of its organisation: it is the register's own record, kept by the Cress of its region (ask it); a partner edits its profile (description, contacts, website, address)
policy-place-in-other-region = a partner may change its organisation's address within its region ({ $region }) only: this { $field } is in region { $place }
policy-place-in-no-region = a partner may change its organisation's address within its region ({ $region }) only: this { $field } is in no region
# $action: a policy-action message
policy-admins-only = only administrators may { $action }
policy-viewer-read-only = the role viewer may read but not { $action }
policy-partner-own-organisation = a partner may change its own organisation ({ $org }) only
# $action: read, create, update or delete
policy-partner-own-sponsorships = a partner may { $action ->
        [read] read
        [create] create
        [update] change
       *[delete] delete
    } the sponsorships its organisation ({ $org }) gives only
policy-partner-may-not = a partner may not { $action }
# $action: read, create, update or delete; $noun: the kind's plural (Resource::noun)
policy-manager-own-region = a Cress manager may { $action ->
        [read] read
        [create] create
        [update] change
       *[delete] delete
    } the { $noun } of its own region ({ $region }) only
policy-may-not = may not { $action }
policy-to-read-audit = read the audit trail
policy-audit-forbidden = the role { $role } may not read the audit trail: administrators and Cress managers (for their region) only
policy-to-subscribe = subscribe to webhooks
policy-viewer-may-not-subscribe = the role viewer may not subscribe to webhooks: administrators, Cress managers and partners only (a viewer may poll GET /api/v1/changes)
caller-to-write = write

## The token endpoint and logout (src/http/auth.rs)
auth-parameter-missing = the parameter { $name } is missing
auth-parameter-repeated = the parameter { $name } is repeated
auth-parameter-unknown = the parameter { $name } is unknown
auth-field-required = this field is required
auth-logins-busy = too many logins are being checked at once; try again in a second
auth-too-many-failures = too many failed logins; try again in { $seconds } seconds
auth-credentials-wrong = the e-mail or the password is wrong
auth-client-wrong = the client id or the client secret is wrong
auth-refresh-replayed = this refresh token was used already, so every token of its session is now revoked; log in again
auth-refresh-invalid = the refresh token is unknown, expired or revoked, or its session is over; log in again
auth-account-inactive = the account is no longer active
auth-content-type-missing = send a form (application/x-www-form-urlencoded) or JSON (application/json), not no Content-Type
auth-content-type-unsupported = send a form (application/x-www-form-urlencoded) or JSON (application/json), not { $media_type }
auth-client-credentials-not-form = send the client-credentials grant as a form (application/x-www-form-urlencoded)
auth-grant-unsupported = the grant_type { $grant } is not supported; use password, client_credentials or refresh_token
auth-client-credentials-twice = send the client credentials once: with HTTP Basic or in the form, not both
auth-basic-not-base64 = the HTTP Basic credentials are not base64 of client_id:client_secret
auth-basic-not-pair = the HTTP Basic credentials are not client_id:client_secret
auth-basic-incomplete = the HTTP Basic credentials lack the client id or secret
auth-client-unauthenticated = authenticate the client: client_id and client_secret in the form, or HTTP Basic

## Accounts: users and API clients (src/http/users.rs, also for src/http/clients.rs)
users-role-needs-organisation = the role partner needs an organisation
users-role-needs-region = the role cress_manager needs a region
users-region-unknown = { $code } is not a region code
users-role-takes-no-region = the role { $role } takes no region
users-role-takes-no-organisation = the role { $role } takes no organisation
users-active-not-null = active cannot be null
users-password-too-short = a password has at least { $min } characters; a passphrase of several words is best
users-password-too-long = a password has at most { $max } characters
users-last-admin = this is the last active administrator: make another one first

## Events (src/domain/event.rs)
# $from, $to, $status: draft, published, cancelled; $allowed: event-status-final or event-status-next
event-status-refused = the event is { $from } and cannot become { $to }: { $allowed }
event-status-final = a { $status } event cannot change status any more
# $choices: one status, or event-status-or
event-status-next = from { $status } it can only become { $choices }
event-status-or = { $left } or { $right }
# $name: the name sent, in double quotes
event-time-zone-unknown = { $name } is not an IANA time zone; use a name of the tz database such as Europe/Paris, America/Cayenne or Indian/Reunion
event-theme-blank = a theme must not be blank
event-theme-too-long = a theme is at most { $max } characters; this one has { $length }
# $theme: the theme sent, in double quotes
event-theme-format = { $theme } is not a theme: a theme is lowercase letters a-z and digits in words joined by single hyphens, e.g. mois-de-l-ess
# $field: starts_at, ends_at
event-instant-format = { $field } is a date and time with its offset from UTC (RFC 3339), e.g. 2026-09-19T09:30:00+02:00 or 2026-09-19T07:30:00Z
event-instant-out-of-range = { $field } must be between the years 1900 and 2999
event-ends-before-start = ends_at ({ $ends_at }) must be after starts_at ({ $starts_at })
event-online-url-required = an online event (online: true) needs online_url, the http or https link to join it
# $field: city, region_code
event-in-person-field-required = an event held in person (online: false) needs { $field }; set online to true for an online event
event-attendance-over-capacity = attendance { $attendance } is more than the capacity { $capacity }
event-attendance-before-end = attendance is reported after the event, and this event has not ended yet (it ends at { $ends_at }); leave attendance out until then
# $field: capacity, attendance
event-at-least = { $field } must be at least { $min }, not { $n }
event-themes-too-many = an event has at most { $max } themes; { $count } different ones were given
event-organisers-too-many = an event has at most { $max } organisers; { $count } were given
event-organiser-duplicate = organisation { $id } is already listed as organisers[{ $first }]; list it once, with one role

## Clubs (src/domain/club.rs)
club-left-before-joined = left_on { $left_on } is before joined_on { $joined_on }; a member cannot leave before joining

## Organisations (src/domain/organisation.rs)
# A category with its article, $settled of organisation-legal-category-contradicts
organisation-category-association = an association
organisation-category-cooperative = a cooperative
organisation-category-mutual = a mutual
organisation-category-foundation = a foundation
organisation-category-ess-company = an ESS company
organisation-category-local-authority = a local authority
organisation-category-network = a network
organisation-category-public-body = a public body
organisation-category-company = a company
# $category: association, cooperative, mutual, foundation, ess_company, local_authority, public_body, company
organisation-legal-category-contradicts = legal category { $code } is { $settled }; category { $category } contradicts it
organisation-siret-not-of-siren = SIRET { $siret } does not start with the SIREN { $siren }
organisation-founded-in-future = { $date } is in the future; founded_on is the date the organisation was founded
organisation-founded-too-early = { $date } is too early; founded_on must be 1800-01-01 or later

## Free text (src/domain/text.rs)
# $field: the field's name (name, description, street…)
text-blank = { $field } must not be blank
text-too-long = { $field } is { $length } characters long; at most { $max } are allowed
# $which: U+0000, NUL or U+001B…
text-control-character = { $field } contains a control character ({ $which }); only line breaks and tabs are allowed

## Official codes (src/domain/codes.rs)
# $valid: the region codes, separated by spaces
codes-region-unknown = { $code } is not a region code; valid codes are { $valid }
codes-region-format = a region code is 2 digits, e.g. 76 for Occitanie
codes-postal-unknown = { $code } is not a postal code; French postal codes do not start with 00
codes-postal-corsica = a postal code is 5 digits; Corsican postal codes start with 20 (2A and 2B are department codes)
codes-postal-format = a postal code is 5 digits, e.g. 34700
codes-commune-unknown = { $code } is not a commune code; it must start with a department (01 to 95, 2A, 2B) or an overseas department (971 to 974, 976)
codes-commune-format = an INSEE commune code is 5 characters: a department then 3 digits, e.g. 34142 or 2A004
codes-legal-category-format = a legal category code is 4 digits not starting with 0, e.g. 9220

## Legal identifiers (src/domain/identifiers.rs)
identifiers-siren-format = a SIREN is 9 digits
identifiers-siren-checksum = { $digits } fails the SIREN check digit (Luhn)
identifiers-siret-format = a SIRET is 14 digits
identifiers-siret-la-poste-checksum = { $digits } fails the La Poste SIRET check (its digits must add up to a multiple of 5)
identifiers-siret-checksum = { $digits } fails the SIRET check digit (Luhn)
identifiers-rna-format = an RNA number is W, a digit, a letter or digit, then 7 digits (e.g. W751245606), or a legacy number 0ddd00dddd (e.g. 0653005592)

## Contact details (src/domain/contact.rs)
contact-email-spaces = an e-mail address must not contain spaces
contact-email-no-at = an e-mail address needs an @, as in contact@example.org
contact-email-two-at = an e-mail address has exactly one @
contact-email-no-local-part = an e-mail address needs a name before the @, as in contact@example.org
contact-email-local-part-too-long = the part of an e-mail address before the @ is at most { $max } characters
contact-email-domain = the part of an e-mail address after the @ must be a domain such as example.org
contact-email-too-long = an e-mail address is at most { $max } characters
contact-url-too-long = a website address is at most { $max } characters
# $reason: the URL parser's own words
contact-url-unreadable = a website address is a full URL starting with http:// or https://, e.g. https://example.org ({ $reason })
contact-url-scheme = a website address starts with http:// or https://, not { $scheme }:
contact-url-no-host = a website address names a host, as in https://example.org
contact-phone-too-long = a phone number is at most { $max } characters
contact-phone-characters = a phone number may contain only digits, spaces, . - ( ) and a leading +
contact-phone-digits = a phone number has { $min } to { $max } digits; this one has { $digits }

## ESUS accreditations (src/domain/esus.rs)
esus-department-unknown = { $code } is not a department code: 01 to 19, 2A, 2B, 21 to 95 or 971 to 976
esus-department-unknown-corsica = { $code } is not a department code: 01 to 19, 2A, 2B, 21 to 95 or 971 to 976; Corsica is 2A or 2B
esus-department-format = a department code is 2 characters (01 to 95, 2A, 2B) or 3 digits overseas (971 to 976), e.g. 34
# The accreditations a date belongs to, as $holder of esus-date-not-allowed
esus-holder-decided = a decided (granted or refused) accreditation
esus-holder-granted = a granted accreditation
esus-holder-withdrawn = a withdrawn accreditation
# $status: applied, granted, refused, withdrawn
esus-date-required = { $field } is required when the status is { $status }
esus-date-not-allowed = { $field } is only set on { $holder }; this one is { $status }: leave it out or send null
esus-decided-before-applied = decided_on { $decided_on } is before applied_on { $applied_on }; a decision follows the application
esus-valid-from-too-late = valid_from { $valid_from } is too late to compute valid_until
esus-valid-until-before-valid-from = valid_until { $valid_until } is before valid_from { $valid_from }; the validity cannot end before it starts
esus-withdrawn-before-valid-from = withdrawn_on { $withdrawn_on } is before valid_from { $valid_from }; only an accreditation in force can be withdrawn
esus-withdrawn-after-valid-until = withdrawn_on { $withdrawn_on } is after valid_until { $valid_until }; the accreditation had already ended
esus-date-out-of-range = { $date } is out of range; dates are between 1900-01-01 and 2999-12-31
esus-date-in-future = { $field } { $date } is in the future; record it once it has happened
# $from: applied, granted, expired, refused, withdrawn; $to: applied, granted, refused, withdrawn; $why: one of esus-transition-from-…
esus-transition-illegal = an accreditation that is { $from } cannot become { $to }; { $why }
esus-transition-from-refused = refused is final
esus-transition-from-withdrawn = withdrawn is final
esus-transition-from-expired = it has ended; record a new application to renew it
esus-transition-from-applied = an application can only become granted or refused
esus-transition-from-granted = a granted accreditation can only be withdrawn
# $state: esus-open-state-in-force or esus-open-state-since
esus-open-conflict = the organisation already has an open ESUS accreditation, { $id } ({ $state }); a new one can be recorded once it is refused, withdrawn or ended, or, to renew a granted one, within { $months } months of its end
esus-open-state-in-force = granted, in force until { $valid_until }
esus-open-state-since = { $status } on { $applied_on }

## Sponsorships (src/domain/sponsorship.rs)
# $from, $to, $status: proposed, active, ended, cancelled; $why: sponsorship-status-final or sponsorship-status-next
sponsorship-transition-illegal = a sponsorship cannot go from { $from } to { $to }: { $why }
sponsorship-status-final = { $status } is final
sponsorship-status-next = from { $status } it can only become { $next }
# Two or more names: "active or cancelled"
sponsorship-any-of = { $first } or { $last }
# $currency: the value sent, quoted
sponsorship-currency-unsupported = { $currency } is not supported; amounts are in euro cents and currency must be "EUR"
sponsorship-sponsor-not-found = no organisation with this id; the sponsor must be an existing organisation
sponsorship-ends-before-start = ends_on { $ends_on } is before starts_on { $starts_on }; a sponsorship may end on the day it starts, not before
sponsorship-beneficiary-required = this field is required and cannot be null: give {"{"}"type", "id"{"}"}
# $kind: club, event, organisation
sponsorship-beneficiary-not-found = no { $kind } with this id; the beneficiary must exist
sponsorship-beneficiary-is-sponsor = the beneficiary is the sponsor itself; an organisation cannot sponsor itself
sponsorship-amount-out-of-range = { $cents } is out of range; amount_cents must be more than 0 and at most { $max } (100 billion euros)
sponsorship-counterparts-negative = { $cents } is negative; counterparts_cents is the value the sponsor receives back, 0 or more
# $counterparts, $amount, $cap: amounts such as 2000.50 EUR
sponsorship-counterparts-over-cap = counterparts of { $counterparts } exceed 25 % of the { $amount } given: for patronage (mécénat, art. 238 bis CGI) what the sponsor receives back must stay in marked disproportion with the gift, in practice at most 25 % of it (here { $cap } at most); lower the counterparts, or record the support as commercial_sponsorship (parrainage)
sponsorship-date-out-of-range = { $field } { $date } is out of range; dates must fall in the years { $first } to { $last }

## Bulk import of organisations (src/http/import.rs)
import-rows-invalid = { $count ->
        [one] { $count } of { $rows } rows is invalid
       *[other] { $count } of { $rows } rows are invalid
    }; nothing was imported
import-charset-unsupported = CSV imports are UTF-8 or Windows-1252 (Content-Type: text/csv; charset=utf-8 or windows-1252), not { $charset }
import-content-type-missing = send the rows as CSV (Content-Type: text/csv), as an Excel workbook (Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet) or as a JSON array (Content-Type: application/json)
import-content-type-unsupported = an import is CSV (text/csv), XLSX ({ $xlsx }) or a JSON array (application/json), not { $other }
import-xlsx-unreadable = the file is not a readable Excel workbook (.xlsx): { $why }
import-xlsx-no-sheet = it has no sheet
import-xlsx-empty = its first sheet is empty; its first row names the columns
import-column-unknown = unknown column `{ $name }`; the columns are the fields of an organisation: { $fields }
import-column-twice = the column `{ $name }` appears twice in the header
import-element-not-object = each element must be a JSON object
import-json-not-array = the body must be a JSON array of organisations, such as [{"{"}"name": "…", …{"}"}]
import-json-invalid = the body is not valid JSON: { $reason }
import-duplicate-in-file = row { $first } has the same { $column } { $value }
import-identifier-taken = another organisation ({ $id }) already has { $column } { $value }

## Request bodies, query strings, paths and bearer tokens (src/http/extract.rs)
extract-body-unreadable = the request body could not be read
extract-content-type-missing = send the body as JSON with the header Content-Type: application/json
extract-content-type-not-json = the body must be JSON (Content-Type: application/json), not { $media_type }
extract-body-empty = the request body is empty; send a JSON object
extract-json-invalid = the body is not valid JSON: { $reason }
extract-json-not-object = the body must be a JSON object, such as {"{"}"name": "…"{"}"}
extract-query-invalid = invalid query string: { $reason }
extract-path-not-uuid = no resource at { $path }: ids are UUIDs such as 0193a1f2-7c4e-7d2a-9b1e-2f5c8a9d0e11
extract-authorization-repeated = send one Authorization header, not several
extract-authorization-not-bearer = the Authorization header must be `Bearer <token>`
extract-token-malformed = the token is malformed
extract-token-algorithm = the token is not signed with the algorithm this service uses
extract-token-unknown-key = the token is signed by an unknown key
extract-token-signature = the token signature is invalid
extract-token-expired = the token has expired
extract-token-not-yet-valid = the token is not valid yet
extract-token-issuer = the token was issued by another issuer
extract-token-audience = the token is meant for another audience
extract-token-role = the token carries an unknown role
extract-token-scope = the token's role and scope do not match

## CSV answers and the CSV reader of the import (src/http/csv.rs)
csv-not-acceptable = lists answer application/json, text/csv (with `dialect=excel` for Excel's French CSV) or { $xlsx }, not { $accept }
csv-not-utf8 = the file is not UTF-8 (line { $line }, byte { $byte }); save it as UTF-8
csv-no-header = the file has no header line; its first line names the columns
csv-cell-count = line { $line } has { $cells } cells; the header has { $columns } (separator `{ $separator }`)
csv-quote-unclosed = line { $line }: a quoted cell is never closed (a quote is missing)
csv-text-after-quote = line { $line }: text follows the closing quote of a cell; double a quote inside a quoted cell ("")
csv-quote-in-unquoted = line { $line }: a quote inside an unquoted cell; quote the whole cell and double the quote

## Conditional requests (src/http/etag.rs)
# $what: the record in English ("ESUS accreditation"); $kind: its key ("esus_accreditation")
etag-precondition-failed = the { $what } has changed since it was read (If-Match { $tags }, current ETag { $etag }); read it again and re-apply the change

## Pages and cursors (src/http/pagination.rs)
pagination-limit-out-of-range = { $limit } is out of range; limit is 1 to { $max }
pagination-cursor-invalid = invalid query parameter cursor: { $why }; pass next_cursor from the previous page unchanged
pagination-cursor-too-long = too long
pagination-cursor-not-a-cursor = not a cursor
pagination-cursor-other-sort = it was made for sort={ $made_for }, not sort={ $sort }

## Idempotency keys (src/http/idempotency.rs)
idempotency-key-in-use = the first request with this Idempotency-Key is still running; retry shortly to get its answer
idempotency-key-missing = send an Idempotency-Key header
idempotency-key-repeated = send one Idempotency-Key header, not several
idempotency-key-malformed = an Idempotency-Key is 1 to 255 visible ASCII characters, such as a UUID
idempotency-key-reused = this Idempotency-Key was used for another request within the last 24 hours; use a new key for a new request

## The change feed (src/http/changes.rs)
changes-position-invalid = invalid query parameter { $parameter }: not a position; pass next_cursor (or an item's position) from a previous answer unchanged
changes-type-unknown = { $name } is not a resource of the feed; use organisation, esus_accreditation, club, club_member, event or sponsorship, comma-separated

## XLSX answers (src/http/xlsx.rs)
xlsx-too-many-rows = the list has more than { $max } rows, the most a worksheet holds: narrow it with its filters, or export it as CSV

## The audit trail (src/http/audit.rs)
audit-to-before-from = must be after from
audit-actor-length = must have 1 to 255 characters
# $what: the kind in English ("esus accreditation"); $kind: its key; $noun: its noun
audit-history-none = no { $what } with this id has any recorded change

## Unknown paths (src/http/methods.rs)
methods-no-resource = no resource at { $path }; see /swagger-ui/ for the API

## Webhook subscriptions (src/http/webhooks.rs)
webhooks-url-too-long = longer than { $max } characters
# $why: one of the delivery-url-… or delivery-refused-… messages
webhooks-url-unsafe = deliveries cannot go to this URL: { $why }
webhooks-list-empty = an empty list: leave { $field } out (or null) for all of them
webhooks-type-not-in-feed = { $name } is not in the change feed: use organisation, esus_accreditation, club, club_member, event or sponsorship
webhooks-cursor-invalid = invalid query parameter cursor: not a cursor
# What an anonymous caller must log in to do (denial-log-in-to)
webhooks-to-subscribe = subscribe to webhooks
webhooks-limit-out-of-range = { $n } is out of range; limit is 1 to { $max }
webhooks-after-not-a-position = not a position of the change feed: pass an item's position unchanged
webhooks-after-beyond-head = a position beyond the newest change of the log

## Where webhook deliveries may go (src/http/delivery.rs): why an address is refused, as $why
delivery-address-loopback = a loopback address
delivery-address-not-unicast = not a unicast address
delivery-address-unique-local = a private (unique local) address
delivery-address-link-local = a link-local address
delivery-address-documentation = a documentation address
delivery-address-private = a private address
delivery-address-link-local-metadata = a link-local address (where cloud metadata services answer)
delivery-address-shared = a shared (carrier-grade NAT) address
delivery-address-not-unicast-public = not a unicast public address
delivery-address-reserved = a reserved address
delivery-refused-address = { $ip } is { $why }: deliveries go to public addresses only (an operator may allow a host with WEBHOOK_ALLOWED_HOSTS)
delivery-refused-host = { $host } resolves to { $ip }, { $why }: deliveries go to public addresses only (an operator may allow a host with WEBHOOK_ALLOWED_HOSTS)
# $reason: the URL parser's own words
delivery-url-not-absolute = not an absolute URL ({ $reason })
delivery-url-scheme = its scheme is { $scheme }, not http or https
delivery-url-credentials = it holds a user name or password: deliveries are authenticated by their signature
delivery-url-no-host = it has no host

## Events (src/http/events.rs)
events-window-bound-invalid = { $raw } is neither a date (2026-11-01) nor a date and time with offset (2026-11-01T00:00:00+01:00)
events-cursor-invalid = invalid query parameter cursor: not a cursor
events-window-reversed = the window ends ({ $to }) before it starts ({ $from })
events-q-empty = empty; leave q out to list everything
events-q-too-long = longer than { $max } characters
events-club-out-of-reach = the club { $club_id } is a club of region { $region }: an event may be held only by a club you may change

## Sponsorships (src/http/sponsorships.rs)
sponsorships-year-out-of-range = { $year } is out of range; year is { $first } to { $last }
sponsorships-cursor-invalid = invalid query parameter cursor: not a cursor
sponsorships-beneficiary-type-required = required with beneficiary_id (club, event or organisation)

## Organisations (src/http/organisations.rs)
organisations-cursor-invalid = invalid query parameter cursor: not a cursor
organisations-q-empty = empty; leave q out to list everything
organisations-q-too-long = longer than { $max } characters

## ESUS accreditations (src/http/esus.rs)
esus-http-cursor-invalid = invalid query parameter cursor: not a cursor

## Clubs (src/http/clubs.rs)
clubs-q-empty = empty; leave q out to list everything
clubs-q-too-long = longer than { $max } characters

## An organisation that already has a membership of the club (src/store/clubs.rs)
store-clubs-member-left = { $name } was a member of this club from { $joined_on } and left on { $left_on }; to rejoin, PATCH { $address } with left_on null (and a new joined_on if you wish)
store-clubs-member-leaving = { $name } is already an active member of this club (role { $role }, since { $joined_on }, leaving on { $left_on }); PATCH { $address } to change its role or dates
store-clubs-member-active = { $name } is already an active member of this club (role { $role }, since { $joined_on }); PATCH { $address } to change its role or dates

## Organisation imports (src/store/organisations.rs)
store-organisations-import-taken = a SIREN, SIRET or RNA of the import was taken by another request meanwhile; nothing was imported, send the import again

## Records a request names that do not exist, and what still holds a record (src/store/references.rs)
store-references-missing-organisation = no organisation with id { $id }; create it first with POST /api/v1/organisations
store-references-missing-club = no club with id { $id }; create it first with POST /api/v1/clubs
# $kind: esus_accreditation, club_member, event, sponsorship, user, api_client; $noun: its noun (resource-…)
store-references-missing = no { $noun } with id { $id }
store-references-admin-only = records that only administrators may see
store-references-another-record = another record
# $init: the holders but the last, separated by commas
store-references-and = { $init } and { $last }
# The holders, by $count
store-references-esus-accreditations = { $count ->
        [one] { $count } ESUS accreditation
       *[other] { $count } ESUS accreditations
    }
store-references-club-memberships = { $count ->
        [one] { $count } club membership
       *[other] { $count } club memberships
    }
store-references-hosted-clubs = { $count ->
        [one] { $count } club it hosts
       *[other] { $count } clubs it hosts
    }
store-references-organised-events = { $count ->
        [one] { $count } event it organises
       *[other] { $count } events it organises
    }
store-references-given-sponsorships = { $count ->
        [one] { $count } sponsorship it gives
       *[other] { $count } sponsorships it gives
    }
store-references-received-sponsorships = { $count ->
        [one] { $count } sponsorship it receives
       *[other] { $count } sponsorships it receives
    }
store-references-partner-users = { $count ->
        [one] { $count } partner user account
       *[other] { $count } partner user accounts
    }
store-references-partner-clients = { $count ->
        [one] { $count } partner API client
       *[other] { $count } partner API clients
    }
store-references-members = { $count ->
        [one] { $count } member
       *[other] { $count } members
    }
store-references-events = { $count ->
        [one] { $count } event
       *[other] { $count } events
    }
store-references-sponsorships = { $count ->
        [one] { $count } sponsorship
       *[other] { $count } sponsorships
    }
store-references-organisers = { $count ->
        [one] { $count } organiser
       *[other] { $count } organisers
    }

## Column titles of spreadsheet exports (XLSX), by column: `column-<name>`; an XLSX import
## reads a column under its title in either language, or under its name
column-action = Action
column-actions = Actions
column-active = Active
column-active_member_count = Active members
column-actor_kind = Actor kind
column-actor_role = Actor role
column-actor_subject = Actor
column-agreement_reference = Agreement reference
column-amount_cents = Amount (€)
column-applied_on = Applied on
column-at = At
column-attendance = Attendance
column-audience = Audience
column-authority = Authority
column-basis = Basis
column-beneficiary_id = Beneficiary id
column-beneficiary_name = Beneficiary
column-beneficiary_type = Beneficiary type
column-capacity = Capacity
column-category = Category
column-changes = Changes
column-city = City
column-client_id = Client id
column-club_id = Club id
column-commune_code = Commune code
column-counterparts_cents = Counterparts (€)
column-created_at = Created at
column-currency = Currency
column-data = Data
column-decided_on = Decided on
column-decision_reference = Decision reference
column-department_code = Department code
column-description = Description
column-disabled_reason = Disabled because
column-email = E-mail
column-ends_at = Ends at
column-ends_on = Ends on
column-esus_status = ESUS status
column-esus_valid_until = ESUS valid until
column-founded_on = Founded on
column-host_organisation_id = Host organisation id
column-host_organisation_name = Host organisation
column-id = Id
column-is_ess = ESS
column-joined_on = Joined on
column-kind = Kind
column-left_on = Left on
column-legal_category_code = Legal category code
column-name = Name
column-notes = Notes
column-online = Online
column-online_url = Online URL
column-organisation_category = Organisation category
column-organisation_id = Organisation id
column-organisation_name = Organisation
column-organisers = Organisers
column-owner_organisation_id = Owner organisation id
column-owner_region_code = Owner region code
column-owner_role = Owner role
column-owner_subject = Owner
column-parent_id = Parent id
column-phone = Phone
column-position = Position
column-postal_code = Postal code
column-public = Public
column-region_code = Region code
column-resource = Resource
column-rna = RNA
column-role = Role
column-siren = SIREN
column-siret = SIRET
column-sponsor_id = Sponsor id
column-sponsor_name = Sponsor
column-starts_at = Starts at
column-starts_on = Starts on
column-status = Status
column-street = Street
column-themes = Themes
column-time_zone = Time zone
column-title = Title
column-type = Type
column-types = Types
column-updated_at = Updated at
column-url = URL
column-valid_from = Valid from
column-valid_until = Valid until
column-venue = Venue
column-version = Version
column-website = Website
column-withdrawn_on = Withdrawn on

## Problem types (src/http/problems.rs), the page `GET /problems/{code}` answers: by code,
## `problem-<code>` (the title of every problem answer), `problem-<code>-meaning`, `problem-<code>-remedy`
problem-bad_request = Bad request
problem-bad_request-meaning = The request cannot be read as HTTP says it should.
problem-bad_request-remedy = Check the request line and headers.
problem-malformed_json = Malformed JSON
problem-malformed_json-meaning = The body is not valid JSON, or not the JSON value the operation takes (an array for an import).
problem-malformed_json-remedy = Send well-formed JSON of the documented shape.
problem-unreadable_body = Unreadable body
problem-unreadable_body-meaning = The body could not be read (not UTF-8, cut short).
problem-unreadable_body-remedy = Send the whole body, encoded in UTF-8.
problem-invalid_parameter = Invalid query parameter
problem-invalid_parameter-meaning = A query parameter does not parse, is out of range or unknown; `detail` names it.
problem-invalid_parameter-remedy = Fix or remove the parameter named in `detail`.
problem-invalid_cursor = Invalid cursor
problem-invalid_cursor-meaning = The cursor (or `after` position) is not one this list made, or was made for another order.
problem-invalid_cursor-remedy = Pass `next_cursor` from the previous page unchanged, with the same `sort`.
problem-invalid_idempotency_key = Invalid Idempotency-Key
problem-invalid_idempotency_key-meaning = The `Idempotency-Key` header is empty, too long (over 255 characters) or not printable ASCII.
problem-invalid_idempotency_key-remedy = Send a fresh random key (a UUID) per operation.
problem-invalid_request = Invalid token request
problem-invalid_request-meaning = The token request misses a field, or sends the client credentials twice (OAuth 2.0 `invalid_request`).
problem-invalid_request-remedy = Send one grant with its fields, as the token endpoint documents.
problem-invalid_grant = Grant refused
problem-invalid_grant-meaning = The e-mail or the password is wrong, or the refresh token is used, revoked or expired (OAuth 2.0 `invalid_grant`).
problem-invalid_grant-remedy = Check the credentials, or log in again.
problem-unsupported_grant_type = Unsupported grant type
problem-unsupported_grant_type-meaning = The `grant_type` is none of `password`, `client_credentials`, `refresh_token`.
problem-unsupported_grant_type-remedy = Use one of the three.
problem-unauthenticated = Authentication required
problem-unauthenticated-meaning = The operation needs a login and the request carries no token.
problem-unauthenticated-remedy = Log in (`POST /api/v1/auth/token`) and send `Authorization: Bearer <access_token>`.
problem-invalid_token = Invalid token
problem-invalid_token-meaning = The access token is malformed, expired, or not signed by this service; `WWW-Authenticate` says why.
problem-invalid_token-remedy = Get a new token (refresh it, or log in again).
problem-invalid_client = Client authentication failed
problem-invalid_client-meaning = The client id or secret is wrong, or the client is deactivated (OAuth 2.0 `invalid_client`).
problem-invalid_client-remedy = Check the client's credentials; an administrator can renew its secret.
problem-forbidden = Forbidden
problem-forbidden-meaning = The caller's role may not do this to this record; `detail` says what the role allows.
problem-forbidden-remedy = Ask someone whose role allows it (the Cress of the region, an administrator).
problem-not_found = Not found
problem-not_found-meaning = No record has this id, or the caller may not know of it.
problem-not_found-remedy = Check the id; lists show what the caller may read.
problem-method_not_allowed = Method not allowed
problem-method_not_allowed-meaning = The address exists but not with this method; `Allow` lists those it takes.
problem-method_not_allowed-remedy = Use one of the methods in `Allow`.
problem-not_acceptable = Not acceptable
problem-not_acceptable-meaning = None of the media types `Accept` allows can be answered.
problem-not_acceptable-remedy = Accept `application/json` (lists also answer CSV and XLSX).
problem-duplicate = Already exists
problem-duplicate-meaning = Another record holds this SIREN, SIRET, RNA, e-mail or membership; `existing_id` names it.
problem-duplicate-remedy = Update the existing record instead, or correct the identifier.
problem-in_use = Still referenced
problem-in_use-meaning = The record cannot be deleted while others point at it; `detail` counts them.
problem-in_use-remedy = Delete or move what points at it first.
problem-concurrent_update = Changed concurrently
problem-concurrent_update-meaning = Other requests changed the record at the same moment, ten times in a row.
problem-concurrent_update-remedy = Send the same request again after `Retry-After`.
problem-illegal_transition = Illegal status change
problem-illegal_transition-meaning = The record's current status does not allow this change (an ESUS accreditation refused, then granted).
problem-illegal_transition-remedy = Read the record and make a change its status allows.
problem-open_accreditation = Open ESUS accreditation
problem-open_accreditation-meaning = The organisation already has an applied or granted accreditation in force.
problem-open_accreditation-remedy = Decide or end the open one first, or renew a granted one within 6 months of its end.
problem-last_admin = Last administrator
problem-last_admin-meaning = The change would leave no active administrator.
problem-last_admin-remedy = Make another account an administrator first.
problem-already_member = Already a member
problem-already_member-meaning = The organisation is already a member of the club.
problem-already_member-remedy = Change the existing membership instead.
problem-idempotency_key_in_use = Request in progress
problem-idempotency_key_in_use-meaning = A request with this `Idempotency-Key` is still being processed.
problem-idempotency_key_in_use-remedy = Wait for it, then send again to get its answer.
problem-precondition_failed = Precondition failed
problem-precondition_failed-meaning = `If-Match` names a version that is no longer the current one: someone changed the record since it was read.
problem-precondition_failed-remedy = Read the record again (new `ETag`), reapply the change, and send it with the new tag.
problem-payload_too_large = Request body too large
problem-payload_too_large-meaning = The body is larger than the server takes (`MAX_BODY_BYTES`, or `IMPORT_MAX_BYTES` for an import).
problem-payload_too_large-remedy = Send less: split an import into several files.
problem-unsupported_media_type = Unsupported media type
problem-unsupported_media_type-meaning = The body's `Content-Type` is not one the operation takes.
problem-unsupported_media_type-remedy = Send `application/json` (imports: CSV or XLSX too).
problem-validation_failed = Invalid request
problem-validation_failed-meaning = Some fields break the rules; `errors` lists each with its `field`, `code` and `message`.
problem-validation_failed-remedy = Correct every field listed, then send again.
problem-rows_invalid = Some rows are invalid
problem-rows_invalid-meaning = Rows of an import break the rules; nothing was imported. `errors` lists the first 100 with their `row` (and `line` in the sheet), `error_count` counts them all.
problem-rows_invalid-remedy = Correct the rows listed, or import with `mode=valid_only` to keep the valid ones.
problem-malformed_csv = Malformed CSV
problem-malformed_csv-meaning = The CSV file is not a well-formed table (a quote never closed, a row with too many cells, declared UTF-8 but not); `detail` names the line.
problem-malformed_csv-remedy = Save the file again from the spreadsheet, as CSV.
problem-malformed_xlsx = Unreadable workbook
problem-malformed_xlsx-meaning = The body is not a readable Excel workbook (.xlsx), or its first sheet is empty.
problem-malformed_xlsx-remedy = Save it again from Excel as .xlsx, with the column names on the first row.
problem-too_many_rows = Too many rows for a sheet
problem-too_many_rows-meaning = The list has more rows than an Excel sheet holds (1,048,575).
problem-too_many_rows-remedy = Narrow the list with its filters, or export it as CSV.
problem-idempotency_key_reused = Idempotency-Key reused
problem-idempotency_key_reused-meaning = This `Idempotency-Key` was used with another request (another body or address).
problem-idempotency_key_reused-remedy = Use a new key for each distinct request.
problem-too_many_requests = Too many requests
problem-too_many_requests-meaning = Too many failed logins (or logins at once); `Retry-After` says when to try again.
problem-too_many_requests-remedy = Wait the number of seconds in `Retry-After`.
problem-client_error = Client error
problem-client_error-meaning = The request was refused for a reason HTTP's status gives.
problem-client_error-remedy = Read `detail` and the status.
problem-internal_error = Internal error
problem-internal_error-meaning = Something failed in the server; it is logged with the request's `X-Request-Id`.
problem-internal_error-remedy = Try again; if it lasts, report the `X-Request-Id` to the Cress.
problem-service_unavailable = Service unavailable
problem-service_unavailable-meaning = The database does not answer at the moment.
problem-service_unavailable-remedy = Try again after `Retry-After`.
problem-request_timeout = Request timeout
problem-request_timeout-meaning = The request took longer than the server allows (`REQUEST_TIMEOUT_SECONDS`; for an import, the work after its upload); nothing was written.
problem-request_timeout-remedy = Try again; split a large import.
problem-upload_stalled = Upload stalled
problem-upload_stalled-meaning = An import's body stopped arriving: nothing of it came for `REQUEST_TIMEOUT_SECONDS` (a slow upload is fine as long as it keeps coming); nothing was written.
problem-upload_stalled-remedy = Send the file again over a steadier connection.

## Field error codes (`errors[].code`): `field-code-<code>`, what it means
field-code-required = The field is required and missing or null.
field-code-blank = The text is empty once spaces are taken off.
field-code-too_long = The text is longer than the field allows.
field-code-too_short = The text is shorter than the field needs (a password).
field-code-too_many = The list holds more items than allowed (themes, organisers).
field-code-invalid_format = The value does not have the field's shape (an e-mail, a date, a SIREN of 9 digits…).
field-code-invalid_checksum = A SIREN or SIRET whose check digit (Luhn) is wrong: a digit was mistyped.
field-code-unknown_code = A well-formed code that does not exist (region, department, legal category…).
field-code-mismatch = The value contradicts another field of the same record (a category and a legal category, an end before a start).
field-code-not_allowed = The field may not be set in this state (a decision date on an application).
field-code-out_of_range = A number or date outside the allowed range.
field-code-in_future = A date or a count that can only be known once it has happened.
field-code-before_start = An end date before the start date.
field-code-same_as_sponsor = A sponsorship whose beneficiary is its own sponsor.
field-code-counterparts_over_25_percent = Patronage (mécénat) whose counterparts exceed 25 % of the amount given: lower them, or record the support as commercial sponsorship.
field-code-unsupported_currency = A currency other than EUR.
field-code-invalid_type = The JSON value has the wrong type (a number where a string belongs, an unknown enum value).
field-code-unknown_field = A field (or import column) this operation does not know.
field-code-unknown_value = A value this field does not take: one of the names it lists is expected (an enum).
field-code-duplicate_field = An import column named twice in the header.
field-code-not_found = A referenced record (an organisation, a club) does not exist: create it first.
field-code-duplicate = Another record holds this value (SIREN, SIRET, RNA, e-mail).
field-code-duplicate_in_file = An earlier row of the same import holds this value.
field-code-forbidden = The caller may not import or write this row (another region).
field-code-unsafe_url = A webhook URL deliveries may not go to (a private address, a scheme other than http(s)).

## The words of the problem pages
problems-page-status = HTTP status { $status }
problems-page-meaning = What it means
problems-page-remedy = What to do
problems-page-field-codes = Field error codes
problems-page-documentation = The API's documentation
# $code: the code asked for, not one of the service's
problems-unknown = no problem type { $code }

