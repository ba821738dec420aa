### cress-api : le catalogue français. Chaque phrase que l'API répond, par clé ; le code qui
### construit un message nomme sa clé (`msg!("clé", arg = valeur)`). locales/en.ftl a les mêmes clés.

## Les sortes d'enregistrement, au singulier ou au pluriel selon $count (Resource::noun)
resource-organisation = { $count ->
        [one] organisation
       *[other] organisations
    }
resource-esus_accreditation = { $count ->
        [one] accréditation ESUS
       *[other] accréditations ESUS
    }
resource-club = { $count ->
        [one] club
       *[other] clubs
    }
resource-club_member = { $count ->
        [one] membre de club
       *[other] membres de club
    }
resource-event = { $count ->
        [one] événement
       *[other] événements
    }
resource-sponsorship = { $count ->
        [one] mécénat
       *[other] mécénats
    }
resource-user = { $count ->
        [one] utilisateur
       *[other] utilisateurs
    }
resource-api_client = { $count ->
        [one] client d'API
       *[other] clients d'API
    }

## Réponses d'erreur (src/http/error.rs, src/core/denial.rs, src/domain/mod.rs)
denial-log-in-to = connectez-vous pour { $what } : envoyez Authorization: Bearer <jeton> (voir POST /api/v1/auth/token)
field-required-not-null = ce champ est obligatoire et ne peut pas être null
json-unknown-field = champ `{ $name }` inconnu ; les champs sont { $expected }
json-missing-field = ce champ est obligatoire
json-duplicate-field = ce champ apparaît deux fois
json-unknown-value = `{ $value }` ne fait pas partie de : { $expected }
length-between = doit compter de { $min } à { $max } caractères
length-at-most = doit compter au plus { $max } caractères
length-at-least = doit compter au moins { $min } caractères
length-wrong = n'a pas la bonne longueur
range-between = doit être compris entre { $min } et { $max }
range-at-most = doit valoir au plus { $max }
range-at-least = doit valoir au moins { $min }
range-out = est hors des valeurs permises
rule-failed = est invalide ({ $rule })
parameter-invalid = paramètre de requête { $name } invalide : { $why }
method-not-allowed = cette adresse accepte { $methods }
field-invalid = le champ { $field } est invalide
fields-invalid = { $count } champs sont invalides : { $fields }
payload-too-large = le corps de la requête dépasse { $limit } octets
database-unavailable = la base de données ne répond pas ; réessayez dans un instant
request-timeout = la requête a duré plus de { $seconds } secondes et a été abandonnée ; réessayez dans un instant
upload-stalled = rien du corps n'est arrivé pendant { $seconds } secondes : l'envoi a été abandonné et rien n'a été importé
internal-error = une erreur inattendue s'est produite ; elle a été journalisée
admin-listener-metrics-only = l'écoute d'administration ne sert que /metrics
# $kind : organisation, esus_accreditation, club, club_member, event, sponsorship, user, api_client, webhook
record-not-found = { $kind ->
        [organisation] aucune organisation n'a cet identifiant
        [esus_accreditation] aucune accréditation ESUS n'a cet identifiant
        [club] aucun club n'a cet identifiant
        [club_member] aucun membre de club n'a cet identifiant
        [event] aucun événement n'a cet identifiant
        [sponsorship] aucun mécénat n'a cet identifiant
        [user] aucun utilisateur n'a cet identifiant
        [api_client] aucun client d'API n'a cet identifiant
        [webhook] aucun abonnement webhook n'a cet identifiant
       *[other] aucun enregistrement n'a cet identifiant
    }
record-duplicate = { $kind ->
        [organisation] une autre organisation a déjà la valeur { $value } pour { $field }
        [user] un autre utilisateur a déjà la valeur { $value } pour { $field }
       *[other] un autre enregistrement a déjà la valeur { $value } pour { $field }
    }
record-in-use = { $kind ->
        [organisation] cette organisation ne peut pas être supprimée : elle est encore référencée par { $holders }
        [esus_accreditation] cette accréditation ESUS ne peut pas être supprimée : elle est encore référencée par { $holders }
        [club] ce club ne peut pas être supprimé : il est encore référencé par { $holders }
        [event] cet événement ne peut pas être supprimé : il est encore référencé par { $holders }
        [user] cet utilisateur ne peut pas être supprimé : il est encore référencé par { $holders }
        [api_client] ce client d'API ne peut pas être supprimé : il est encore référencé par { $holders }
       *[other] cet enregistrement ne peut pas être supprimé : il est encore référencé par { $holders }
    }
record-contended = { $kind ->
        [organisation] cette organisation a été modifiée par une autre requête entre-temps ; relisez-la et réessayez
        [esus_accreditation] cette accréditation ESUS a été modifiée par une autre requête entre-temps ; relisez-la et réessayez
        [club] ce club a été modifié par une autre requête entre-temps ; relisez-le et réessayez
        [club_member] ce membre de club a été modifié par une autre requête entre-temps ; relisez-le et réessayez
        [event] cet événement a été modifié par une autre requête entre-temps ; relisez-le et réessayez
        [sponsorship] ce mécénat a été modifié par une autre requête entre-temps ; relisez-le et réessayez
        [webhook] cet abonnement webhook a été modifié par une autre requête entre-temps ; relisez-le et réessayez
       *[other] cet enregistrement a été modifié par une autre requête entre-temps ; relisez-le et réessayez
    }

## Qui peut faire quoi (src/auth/policy.rs, src/auth/caller.rs)
# $action : read, create, update ou delete ; $noun : le pluriel de la sorte (Resource::noun)
policy-action = { $action ->
        [read] lire les
        [create] créer des
        [update] modifier les
       *[delete] supprimer les
    } { $noun }
policy-register-field = un partenaire ne peut pas modifier le champ { $field } de son organisation : c'est une donnée propre au registre, tenue par la Cress de sa région (adressez-vous à elle) ; un partenaire modifie son profil (description, contacts, site web, adresse)
policy-place-in-other-region = un partenaire ne peut modifier l'adresse de son organisation qu'à l'intérieur de sa région ({ $region }) : ce { $field } est dans la région { $place }
policy-place-in-no-region = un partenaire ne peut modifier l'adresse de son organisation qu'à l'intérieur de sa région ({ $region }) : ce { $field } n'est dans aucune région
# $action : un message policy-action
policy-admins-only = seuls les administrateurs peuvent { $action }
policy-viewer-read-only = le rôle viewer permet de lire, mais pas de { $action }
policy-partner-own-organisation = un partenaire ne peut modifier que sa propre organisation ({ $org })
# $action : read, create, update ou delete
policy-partner-own-sponsorships = un partenaire ne peut { $action ->
        [read] lire
        [create] créer
        [update] modifier
       *[delete] supprimer
    } que les mécénats accordés par son organisation ({ $org })
policy-partner-may-not = un partenaire n'a pas le droit de { $action }
# $action : read, create, update ou delete ; $noun : le pluriel de la sorte (Resource::noun)
policy-manager-own-region = un gestionnaire de Cress ne peut { $action ->
        [read] lire
        [create] créer
        [update] modifier
       *[delete] supprimer
    } que les { $noun } de sa propre région ({ $region })
policy-may-not = il n'est pas permis de { $action }
policy-to-read-audit = lire le journal d'audit
policy-audit-forbidden = le rôle { $role } ne permet pas de lire le journal d'audit : il est réservé aux administrateurs et aux gestionnaires de Cress (pour leur région)
policy-to-subscribe = vous abonner aux webhooks
policy-viewer-may-not-subscribe = le rôle viewer ne permet pas de s'abonner aux webhooks : c'est réservé aux administrateurs, aux gestionnaires de Cress et aux partenaires (un viewer peut interroger GET /api/v1/changes)
caller-to-write = écrire

## Le point d'accès des jetons et la déconnexion (src/http/auth.rs)
auth-parameter-missing = le paramètre { $name } est absent
auth-parameter-repeated = le paramètre { $name } est répété
auth-parameter-unknown = le paramètre { $name } est inconnu
auth-field-required = ce champ est obligatoire
auth-logins-busy = trop de connexions sont en cours de vérification ; réessayez dans une seconde
auth-too-many-failures = trop de connexions ont échoué ; réessayez dans { $seconds ->
        [one] { $seconds } seconde
       *[other] { $seconds } secondes
    }
auth-credentials-wrong = l'adresse e-mail ou le mot de passe est incorrect
auth-client-wrong = l'identifiant ou le secret du client est incorrect
auth-refresh-replayed = ce jeton de rafraîchissement a déjà été utilisé : tous les jetons de sa session sont donc révoqués ; reconnectez-vous
auth-refresh-invalid = le jeton de rafraîchissement est inconnu, expiré ou révoqué, ou sa session est terminée ; reconnectez-vous
auth-account-inactive = le compte n'est plus actif
auth-content-type-missing = envoyez un formulaire (application/x-www-form-urlencoded) ou du JSON (application/json), avec l'en-tête Content-Type
auth-content-type-unsupported = envoyez un formulaire (application/x-www-form-urlencoded) ou du JSON (application/json), pas { $media_type }
auth-client-credentials-not-form = envoyez la demande de jeton client_credentials sous forme de formulaire (application/x-www-form-urlencoded)
auth-grant-unsupported = le grant_type { $grant } n'est pas pris en charge ; utilisez password, client_credentials ou refresh_token
auth-client-credentials-twice = envoyez les identifiants du client une seule fois : avec HTTP Basic ou dans le formulaire, pas les deux
auth-basic-not-base64 = les identifiants HTTP Basic ne sont pas client_id:client_secret encodé en base64
auth-basic-not-pair = les identifiants HTTP Basic ne sont pas de la forme client_id:client_secret
auth-basic-incomplete = il manque l'identifiant ou le secret du client dans les identifiants HTTP Basic
auth-client-unauthenticated = authentifiez le client : client_id et client_secret dans le formulaire, ou HTTP Basic

## Les comptes : utilisateurs et clients d'API (src/http/users.rs, aussi pour src/http/clients.rs)
users-role-needs-organisation = le rôle partner exige une organisation
users-role-needs-region = le rôle cress_manager exige une région
users-region-unknown = { $code } n'est pas un code de région
users-role-takes-no-region = le rôle { $role } ne prend pas de région
users-role-takes-no-organisation = le rôle { $role } ne prend pas d'organisation
users-active-not-null = active ne peut pas être null
users-password-too-short = un mot de passe compte au moins { $min } caractères ; une phrase de passe de plusieurs mots est préférable
users-password-too-long = un mot de passe compte au plus { $max } caractères
users-last-admin = c'est le dernier administrateur actif : créez-en d'abord un autre

## Événements (src/domain/event.rs)
# $from, $to, $status : draft, published, cancelled ; $allowed : event-status-final ou event-status-next
event-status-refused = l'événement a le statut { $from } et ne peut pas passer au statut { $to } : { $allowed }
event-status-final = un événement au statut { $status } ne peut plus changer de statut
# $choices : un statut, ou event-status-or
event-status-next = depuis le statut { $status }, il ne peut passer qu'au statut { $choices }
event-status-or = { $left } ou { $right }
# $name : le nom envoyé, entre guillemets droits
event-time-zone-unknown = { $name } n'est pas un fuseau horaire IANA ; utilisez un nom de la base tz, comme Europe/Paris, America/Cayenne ou Indian/Reunion
event-theme-blank = un thème ne doit pas être vide
event-theme-too-long = un thème compte au plus { $max } caractères ; celui-ci en compte { $length }
# $theme : le thème envoyé, entre guillemets droits
event-theme-format = { $theme } n'est pas un thème : un thème est fait de lettres minuscules a-z et de chiffres, en mots reliés par un seul trait d'union, par exemple mois-de-l-ess
# $field : starts_at, ends_at
event-instant-format = { $field } est une date et une heure avec leur décalage par rapport à UTC (RFC 3339), par exemple 2026-09-19T09:30:00+02:00 ou 2026-09-19T07:30:00Z
event-instant-out-of-range = { $field } doit se situer entre les années 1900 et 2999
event-ends-before-start = ends_at ({ $ends_at }) doit être postérieur à starts_at ({ $starts_at })
event-online-url-required = un événement en ligne (online: true) nécessite online_url, le lien http ou https pour le rejoindre
# $field : city, region_code
event-in-person-field-required = un événement en présentiel (online: false) nécessite { $field } ; mettez online à true pour un événement en ligne
event-attendance-over-capacity = attendance ({ $attendance }) dépasse la capacité ({ $capacity })
event-attendance-before-end = attendance se renseigne après l'événement, et celui-ci n'est pas encore terminé (il se termine le { $ends_at }) ; omettez attendance d'ici là
# $field : capacity, attendance
event-at-least = { $field } doit valoir au moins { $min }, et non { $n }
event-themes-too-many = un événement a au plus { $max } thèmes ; { $count } thèmes différents ont été fournis
event-organisers-too-many = un événement a au plus { $max } organisateurs ; { $count } ont été fournis
event-organiser-duplicate = l'organisation { $id } figure déjà en organisers[{ $first }] ; indiquez-la une seule fois, avec un seul rôle

## Clubs (src/domain/club.rs)
club-left-before-joined = left_on { $left_on } est antérieur à joined_on { $joined_on } ; un membre ne peut pas partir avant d'être arrivé

## Organisations (src/domain/organisation.rs)
# Une catégorie avec son article, $settled de organisation-legal-category-contradicts
organisation-category-association = une association
organisation-category-cooperative = une coopérative
organisation-category-mutual = une mutuelle
organisation-category-foundation = une fondation
organisation-category-ess-company = une entreprise de l'ESS
organisation-category-local-authority = une collectivité territoriale
organisation-category-network = un réseau
organisation-category-public-body = un organisme public
organisation-category-company = une entreprise
# $category : association, cooperative, mutual, foundation, ess_company, local_authority, public_body, company
organisation-legal-category-contradicts = la catégorie juridique { $code } désigne { $settled } ; la catégorie { $category } la contredit
organisation-siret-not-of-siren = le SIRET { $siret } ne commence pas par le SIREN { $siren }
organisation-founded-in-future = { $date } est dans le futur ; founded_on est la date de fondation de l'organisation
organisation-founded-too-early = { $date } est trop ancienne ; founded_on doit être au plus tôt le 1800-01-01

## Texte libre (src/domain/text.rs)
# $field : le nom du champ (name, description, street…)
text-blank = { $field } ne doit pas être vide
text-too-long = { $field } compte { $length } caractères ; { $max } au plus sont autorisés
# $which : U+0000, NUL ou U+001B…
text-control-character = { $field } contient un caractère de contrôle ({ $which }) ; seuls les sauts de ligne et les tabulations sont autorisés

## Codes officiels (src/domain/codes.rs)
# $valid : les codes de région, séparés par des espaces
codes-region-unknown = { $code } n'est pas un code de région ; les codes valides sont { $valid }
codes-region-format = un code de région compte 2 chiffres, par exemple 76 pour l'Occitanie
codes-postal-unknown = { $code } n'est pas un code postal ; les codes postaux français ne commencent pas par 00
codes-postal-corsica = un code postal compte 5 chiffres ; les codes postaux corses commencent par 20 (2A et 2B sont des codes de département)
codes-postal-format = un code postal compte 5 chiffres, par exemple 34700
codes-commune-unknown = { $code } n'est pas un code de commune ; il doit commencer par un département (01 à 95, 2A, 2B) ou un département d'outre-mer (971 à 974, 976)
codes-commune-format = un code commune INSEE compte 5 caractères : un département puis 3 chiffres, par exemple 34142 ou 2A004
codes-legal-category-format = un code de catégorie juridique compte 4 chiffres et ne commence pas par 0, par exemple 9220

## Identifiants légaux (src/domain/identifiers.rs)
identifiers-siren-format = un SIREN compte 9 chiffres
identifiers-siren-checksum = { $digits } : la clé de contrôle du SIREN (Luhn) est fausse
identifiers-siret-format = un SIRET compte 14 chiffres
identifiers-siret-la-poste-checksum = { $digits } : le contrôle des SIRET de La Poste échoue (la somme de leurs chiffres doit être un multiple de 5)
identifiers-siret-checksum = { $digits } : la clé de contrôle du SIRET (Luhn) est fausse
identifiers-rna-format = un numéro RNA s'écrit W, un chiffre, une lettre ou un chiffre, puis 7 chiffres (par exemple W751245606), ou bien suit l'ancien format 0ddd00dddd (par exemple 0653005592)

## Coordonnées (src/domain/contact.rs)
contact-email-spaces = une adresse e-mail ne doit pas contenir d'espaces
contact-email-no-at = une adresse e-mail doit contenir un @, comme contact@example.org
contact-email-two-at = une adresse e-mail contient un seul @
contact-email-no-local-part = une adresse e-mail doit avoir un nom avant le @, comme contact@example.org
contact-email-local-part-too-long = la partie d'une adresse e-mail avant le @ compte au plus { $max } caractères
contact-email-domain = la partie d'une adresse e-mail après le @ doit être un domaine tel que example.org
contact-email-too-long = une adresse e-mail compte au plus { $max } caractères
contact-url-too-long = une adresse de site web compte au plus { $max } caractères
# $reason : les mots de l'analyseur d'URL
contact-url-unreadable = une adresse de site web est une URL complète commençant par http:// ou https://, par exemple https://example.org ({ $reason })
contact-url-scheme = une adresse de site web commence par http:// ou https://, pas par { $scheme }:
contact-url-no-host = une adresse de site web doit comporter un nom d'hôte, comme https://example.org
contact-phone-too-long = un numéro de téléphone compte au plus { $max } caractères
contact-phone-characters = un numéro de téléphone ne peut contenir que des chiffres, des espaces, . - ( ) et un + au début
contact-phone-digits = un numéro de téléphone compte de { $min } à { $max } chiffres ; celui-ci en compte { $digits }

## Accréditations ESUS (src/domain/esus.rs)
esus-department-unknown = { $code } n'est pas un code de département : 01 à 19, 2A, 2B, 21 à 95 ou 971 à 976
esus-department-unknown-corsica = { $code } n'est pas un code de département : 01 à 19, 2A, 2B, 21 à 95 ou 971 à 976 ; la Corse a les codes 2A et 2B
esus-department-format = un code de département compte 2 caractères (01 à 95, 2A, 2B) ou 3 chiffres outre-mer (971 à 976), par exemple 34
# Les accréditations auxquelles une date appartient, $holder de esus-date-not-allowed
esus-holder-decided = une accréditation décidée (accordée ou refusée)
esus-holder-granted = une accréditation accordée
esus-holder-withdrawn = une accréditation retirée
# $status : applied, granted, refused, withdrawn
esus-date-required = { $field } est obligatoire quand le statut est { $status }
esus-date-not-allowed = { $field } ne se renseigne que pour { $holder } ; celle-ci a le statut { $status } : omettez-le ou envoyez null
esus-decided-before-applied = decided_on { $decided_on } est antérieur à applied_on { $applied_on } ; la décision suit la demande
esus-valid-from-too-late = valid_from { $valid_from } est trop tardif pour calculer valid_until
esus-valid-until-before-valid-from = valid_until { $valid_until } est antérieur à valid_from { $valid_from } ; la validité ne peut pas finir avant de commencer
esus-withdrawn-before-valid-from = withdrawn_on { $withdrawn_on } est antérieur à valid_from { $valid_from } ; seule une accréditation en vigueur peut être retirée
esus-withdrawn-after-valid-until = withdrawn_on { $withdrawn_on } est postérieur à valid_until { $valid_until } ; l'accréditation avait déjà pris fin
esus-date-out-of-range = { $date } est hors limites ; les dates vont du 1900-01-01 au 2999-12-31
esus-date-in-future = { $field } { $date } est dans le futur ; enregistrez-la une fois qu'elle est passée
# $from : applied, granted, expired, refused, withdrawn ; $to : applied, granted, refused, withdrawn ; $why : un des esus-transition-from-…
esus-transition-illegal = une accréditation au statut { $from } ne peut pas passer au statut { $to } ; { $why }
esus-transition-from-refused = refused est un statut définitif
esus-transition-from-withdrawn = withdrawn est un statut définitif
esus-transition-from-expired = elle a pris fin ; enregistrez une nouvelle demande pour la renouveler
esus-transition-from-applied = une demande ne peut qu'être accordée (granted) ou refusée (refused)
esus-transition-from-granted = une accréditation accordée ne peut qu'être retirée (withdrawn)
# $state : esus-open-state-in-force ou esus-open-state-since
esus-open-conflict = l'organisation a déjà une accréditation ESUS ouverte, { $id } ({ $state }) ; une nouvelle ne peut être enregistrée qu'une fois celle-ci refusée, retirée ou arrivée à échéance, ou, pour renouveler une accréditation accordée, dans les { $months } mois qui précèdent sa fin
esus-open-state-in-force = granted, en vigueur jusqu'au { $valid_until }
esus-open-state-since = { $status }, demandée le { $applied_on }

## Mécénats (src/domain/sponsorship.rs)
# $from, $to, $status : proposed, active, ended, cancelled ; $why : sponsorship-status-final ou sponsorship-status-next
sponsorship-transition-illegal = un mécénat ne peut pas passer de { $from } à { $to } : { $why }
sponsorship-status-final = { $status } est un statut définitif
sponsorship-status-next = depuis { $status }, il ne peut devenir que { $next }
# Deux noms ou plus : « active ou cancelled »
sponsorship-any-of = { $first } ou { $last }
# $currency : la valeur envoyée, entre guillemets
sponsorship-currency-unsupported = { $currency } n'est pas accepté ; les montants sont en centimes d'euro et currency doit valoir "EUR"
sponsorship-sponsor-not-found = aucune organisation n'a cet identifiant ; le mécène doit être une organisation existante
sponsorship-ends-before-start = ends_on { $ends_on } est antérieur à starts_on { $starts_on } ; un mécénat peut finir le jour où il commence, pas avant
sponsorship-beneficiary-required = ce champ est obligatoire et ne peut pas être null : donnez {"{"}"type", "id"{"}"}
# $kind : club, event, organisation
sponsorship-beneficiary-not-found = { $kind ->
        [organisation] aucune organisation n'a cet identifiant
        [event] aucun événement n'a cet identifiant
        [club] aucun club n'a cet identifiant
       *[other] aucun enregistrement n'a cet identifiant
    } ; le bénéficiaire doit exister
sponsorship-beneficiary-is-sponsor = le bénéficiaire est le mécène lui-même ; une organisation ne peut pas se soutenir elle-même
sponsorship-amount-out-of-range = { $cents } est hors limites ; amount_cents doit être supérieur à 0 et au plus égal à { $max } (100 milliards d'euros)
sponsorship-counterparts-negative = { $cents } est négatif ; counterparts_cents est la valeur que le mécène reçoit en retour, 0 ou plus
# $counterparts, $amount, $cap : des montants tels que 2000.50 EUR
sponsorship-counterparts-over-cap = les contreparties de { $counterparts } dépassent 25 % des { $amount } donnés : pour le mécénat (art. 238 bis CGI), ce que le mécène reçoit en retour doit rester dans une disproportion marquée avec le don, soit en pratique 25 % au plus (ici { $cap } au plus) ; réduisez les contreparties, ou enregistrez le soutien comme commercial_sponsorship (parrainage)
sponsorship-date-out-of-range = { $field } { $date } est hors limites ; les dates doivent être comprises entre les années { $first } et { $last }

## Import en masse d'organisations (src/http/import.rs)
import-rows-invalid = { $count ->
        [one] { $count } ligne sur { $rows } est invalide
       *[other] { $count } lignes sur { $rows } sont invalides
    } ; rien n'a été importé
import-charset-unsupported = un import CSV est en UTF-8 ou en Windows-1252 (Content-Type: text/csv; charset=utf-8 ou windows-1252), pas en { $charset }
import-content-type-missing = envoyez les lignes en CSV (Content-Type: text/csv), sous forme de classeur Excel (Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet) ou de tableau JSON (Content-Type: application/json)
import-content-type-unsupported = un import est en CSV (text/csv), en XLSX ({ $xlsx }) ou un tableau JSON (application/json), pas { $other }
import-xlsx-unreadable = le fichier n'est pas un classeur Excel (.xlsx) lisible : { $why }
import-xlsx-no-sheet = il n'a aucune feuille
import-xlsx-empty = sa première feuille est vide ; sa première ligne doit nommer les colonnes
import-column-unknown = colonne `{ $name }` inconnue ; les colonnes sont les champs d'une organisation : { $fields }
import-column-twice = la colonne `{ $name }` figure deux fois dans l'en-tête
import-element-not-object = chaque élément doit être un objet JSON
import-json-not-array = le corps doit être un tableau JSON d'organisations, tel que [{"{"}"name": "…", …{"}"}]
import-json-invalid = le corps n'est pas du JSON valide : { $reason }
import-duplicate-in-file = la ligne { $first } a le même { $column } { $value }
import-identifier-taken = une autre organisation ({ $id }) a déjà le { $column } { $value }

## Corps de requête, chaînes de requête, chemins et jetons (src/http/extract.rs)
extract-body-unreadable = le corps de la requête n'a pas pu être lu
extract-content-type-missing = envoyez le corps en JSON avec l'en-tête Content-Type: application/json
extract-content-type-not-json = le corps doit être du JSON (Content-Type: application/json), pas { $media_type }
extract-body-empty = le corps de la requête est vide ; envoyez un objet JSON
extract-json-invalid = le corps n'est pas du JSON valide : { $reason }
extract-json-not-object = le corps doit être un objet JSON, tel que {"{"}"name": "…"{"}"}
extract-query-invalid = chaîne de requête invalide : { $reason }
extract-path-not-uuid = aucune ressource à l'adresse { $path } : les identifiants sont des UUID, tels que 0193a1f2-7c4e-7d2a-9b1e-2f5c8a9d0e11
extract-authorization-repeated = envoyez un seul en-tête Authorization, pas plusieurs
extract-authorization-not-bearer = l'en-tête Authorization doit être de la forme `Bearer <jeton>`
extract-token-malformed = le jeton est mal formé
extract-token-algorithm = le jeton n'est pas signé avec l'algorithme qu'utilise ce service
extract-token-unknown-key = le jeton est signé par une clé inconnue
extract-token-signature = la signature du jeton est invalide
extract-token-expired = le jeton a expiré
extract-token-not-yet-valid = le jeton n'est pas encore valide
extract-token-issuer = le jeton a été émis par un autre émetteur
extract-token-audience = le jeton est destiné à une autre audience
extract-token-role = le jeton porte un rôle inconnu
extract-token-scope = le rôle et la portée du jeton ne concordent pas

## Réponses CSV et lecteur CSV de l'import (src/http/csv.rs)
csv-not-acceptable = les listes répondent en application/json, en text/csv (avec `dialect=excel` pour le CSV d'Excel en français) ou en { $xlsx }, pas en { $accept }
csv-not-utf8 = le fichier n'est pas en UTF-8 (ligne { $line }, octet { $byte }) ; enregistrez-le en UTF-8
csv-no-header = le fichier n'a pas de ligne d'en-tête ; sa première ligne doit nommer les colonnes
csv-cell-count = la ligne { $line } a { $cells ->
        [one] { $cells } cellule
       *[other] { $cells } cellules
    } ; l'en-tête en a { $columns } (séparateur `{ $separator }`)
csv-quote-unclosed = ligne { $line } : une cellule entre guillemets n'est jamais fermée (il manque un guillemet)
csv-text-after-quote = ligne { $line } : du texte suit le guillemet fermant d'une cellule ; doublez tout guillemet à l'intérieur d'une cellule entre guillemets ("")
csv-quote-in-unquoted = ligne { $line } : un guillemet dans une cellule qui n'est pas entre guillemets ; mettez toute la cellule entre guillemets et doublez le guillemet

## Requêtes conditionnelles (src/http/etag.rs)
# $what : l'enregistrement en anglais (« ESUS accreditation ») ; $kind : sa clé (« esus_accreditation »)
etag-precondition-failed = { $kind ->
        [organisation] l'organisation
        [esus_accreditation] l'accréditation ESUS
        [club] le club
        [club_member] le membre de club
        [club_membership] l'adhésion au club
        [event] l'événement
        [sponsorship] le mécénat
        [user] l'utilisateur
        [api_client] le client d'API
        [webhook] l'abonnement webhook
       *[other] l'enregistrement
    } a changé depuis sa lecture (If-Match { $tags }, ETag actuel { $etag }) ; lisez sa version actuelle et appliquez de nouveau la modification

## Pages et curseurs (src/http/pagination.rs)
pagination-limit-out-of-range = { $limit } n'est pas permis ; limit va de 1 à { $max }
pagination-cursor-invalid = paramètre de requête cursor invalide : { $why } ; renvoyez tel quel le next_cursor de la page précédente
pagination-cursor-too-long = trop long
pagination-cursor-not-a-cursor = ce n'est pas un curseur
pagination-cursor-other-sort = il a été fait pour sort={ $made_for }, pas pour sort={ $sort }

## Clés d'idempotence (src/http/idempotency.rs)
idempotency-key-in-use = la première requête avec cette Idempotency-Key est encore en cours ; réessayez dans un instant pour obtenir sa réponse
idempotency-key-missing = envoyez un en-tête Idempotency-Key
idempotency-key-repeated = envoyez un seul en-tête Idempotency-Key, pas plusieurs
idempotency-key-malformed = une Idempotency-Key compte de 1 à 255 caractères ASCII visibles, comme un UUID
idempotency-key-reused = cette Idempotency-Key a servi à une autre requête au cours des dernières 24 heures ; utilisez une nouvelle clé pour une nouvelle requête

## Le flux des modifications (src/http/changes.rs)
changes-position-invalid = paramètre de requête { $parameter } invalide : ce n'est pas une position ; renvoyez tel quel le next_cursor (ou la position d'un élément) d'une réponse précédente
changes-type-unknown = { $name } n'est pas une ressource du flux ; utilisez organisation, esus_accreditation, club, club_member, event ou sponsorship, séparés par des virgules

## Réponses XLSX (src/http/xlsx.rs)
xlsx-too-many-rows = la liste compte plus de { $max } lignes, le maximum d'une feuille de calcul : restreignez-la avec ses filtres, ou exportez-la en CSV

## Le journal d'audit (src/http/audit.rs)
audit-to-before-from = doit être postérieur à from
audit-actor-length = doit compter de 1 à 255 caractères
# $what : la sorte en anglais (« esus accreditation ») ; $kind : sa clé ; $noun : son nom
audit-history-none = { $kind ->
        [organisation] aucune organisation
        [esus_accreditation] aucune accréditation ESUS
       *[other] aucun { $noun }
    } ayant cet identifiant n'a de modification enregistrée

## Chemins inconnus (src/http/methods.rs)
methods-no-resource = aucune ressource à l'adresse { $path } ; consultez /swagger-ui/ pour découvrir l'API

## Abonnements webhook (src/http/webhooks.rs)
webhooks-url-too-long = dépasse { $max } caractères
# $why : l'un des messages delivery-url-… ou delivery-refused-…
webhooks-url-unsafe = les livraisons ne peuvent pas aller à cette URL : { $why }
webhooks-list-empty = une liste vide : omettez { $field } (ou mettez-le à null) pour les recevoir tous
webhooks-type-not-in-feed = { $name } ne figure pas dans le flux des changements : utilisez organisation, esus_accreditation, club, club_member, event ou sponsorship
webhooks-cursor-invalid = paramètre de requête cursor invalide : ce n'est pas un curseur
# Ce pour quoi un appelant anonyme doit se connecter (denial-log-in-to)
webhooks-to-subscribe = vous abonner aux webhooks
webhooks-limit-out-of-range = { $n } est hors limites ; limit va de 1 à { $max }
webhooks-after-not-a-position = ce n'est pas une position du flux des changements : repassez telle quelle la position d'un élément
webhooks-after-beyond-head = une position au-delà du changement le plus récent du journal

## Où les livraisons webhook peuvent aller (src/http/delivery.rs) : pourquoi une adresse est refusée, en $why
delivery-address-loopback = une adresse de bouclage
delivery-address-not-unicast = une adresse qui n'est pas unicast
delivery-address-unique-local = une adresse privée (locale unique)
delivery-address-link-local = une adresse lien-local
delivery-address-documentation = une adresse réservée à la documentation
delivery-address-private = une adresse privée
delivery-address-link-local-metadata = une adresse lien-local (là où répondent les services de métadonnées du cloud)
delivery-address-shared = une adresse partagée (NAT d'opérateur)
delivery-address-not-unicast-public = une adresse qui n'est pas une adresse publique unicast
delivery-address-reserved = une adresse réservée
delivery-refused-address = { $ip } est { $why } : les livraisons ne vont qu'à des adresses publiques (un opérateur peut autoriser un hôte avec WEBHOOK_ALLOWED_HOSTS)
delivery-refused-host = { $host } se résout en { $ip }, { $why } : les livraisons ne vont qu'à des adresses publiques (un opérateur peut autoriser un hôte avec WEBHOOK_ALLOWED_HOSTS)
# $reason : les mots de l'analyseur d'URL
delivery-url-not-absolute = ce n'est pas une URL absolue ({ $reason })
delivery-url-scheme = son schéma est { $scheme }, et non http ou https
delivery-url-credentials = elle contient un nom d'utilisateur ou un mot de passe : les livraisons sont authentifiées par leur signature
delivery-url-no-host = elle n'a pas d'hôte

## Événements (src/http/events.rs)
events-window-bound-invalid = { $raw } n'est ni une date (2026-11-01) ni une date et heure avec décalage (2026-11-01T00:00:00+01:00)
events-cursor-invalid = paramètre de requête cursor invalide : ce n'est pas un curseur
events-window-reversed = la fenêtre se termine ({ $to }) avant de commencer ({ $from })
events-q-empty = vide ; omettez q pour tout lister
events-q-too-long = dépasse { $max } caractères
events-club-out-of-reach = le club { $club_id } est un club de la région { $region } : un événement ne peut être porté que par un club que vous pouvez modifier

## Mécénats (src/http/sponsorships.rs)
sponsorships-year-out-of-range = { $year } est hors limites ; year va de { $first } à { $last }
sponsorships-cursor-invalid = paramètre de requête cursor invalide : ce n'est pas un curseur
sponsorships-beneficiary-type-required = obligatoire avec beneficiary_id (club, event ou organisation)

## Organisations (src/http/organisations.rs)
organisations-cursor-invalid = paramètre de requête cursor invalide : ce n'est pas un curseur
organisations-q-empty = vide ; omettez q pour tout lister
organisations-q-too-long = dépasse { $max } caractères

## Accréditations ESUS (src/http/esus.rs)
esus-http-cursor-invalid = paramètre de requête cursor invalide : ce n'est pas un curseur

## Clubs (src/http/clubs.rs)
clubs-q-empty = vide ; omettez q pour tout lister
clubs-q-too-long = dépasse { $max } caractères

## Une organisation qui a déjà une adhésion au club (src/store/clubs.rs)
store-clubs-member-left = { $name } a été membre de ce club à partir du { $joined_on } et l'a quitté le { $left_on } ; pour le rejoindre, faites PATCH { $address } avec left_on à null (et un nouveau joined_on si vous le souhaitez)
store-clubs-member-leaving = { $name } est déjà membre actif de ce club (rôle { $role }, depuis le { $joined_on }, départ le { $left_on }) ; faites PATCH { $address } pour changer son rôle ou ses dates
store-clubs-member-active = { $name } est déjà membre actif de ce club (rôle { $role }, depuis le { $joined_on }) ; faites PATCH { $address } pour changer son rôle ou ses dates

## Imports d'organisations (src/store/organisations.rs)
store-organisations-import-taken = un SIREN, SIRET ou RNA de l'import a été pris entre-temps par une autre requête ; rien n'a été importé, renvoyez l'import

## Enregistrements nommés par une requête qui n'existent pas, et ce qui référence encore un enregistrement (src/store/references.rs)
store-references-missing-organisation = aucune organisation n'a l'identifiant { $id } ; créez-la d'abord avec POST /api/v1/organisations
store-references-missing-club = aucun club n'a l'identifiant { $id } ; créez-le d'abord avec POST /api/v1/clubs
# $kind : esus_accreditation, club_member, event, sponsorship, user, api_client ; $noun : son nom (resource-…)
store-references-missing = { $kind ->
        [organisation] aucune organisation n'a l'identifiant { $id }
        [esus_accreditation] aucune accréditation ESUS n'a l'identifiant { $id }
       *[other] aucun { $noun } n'a l'identifiant { $id }
    }
store-references-admin-only = des enregistrements que seuls les administrateurs peuvent voir
store-references-another-record = un autre enregistrement
# $init : tous sauf le dernier, séparés par des virgules
store-references-and = { $init } et { $last }
# Ce qui référence l'enregistrement, selon $count
store-references-esus-accreditations = { $count ->
        [one] { $count } accréditation ESUS
       *[other] { $count } accréditations ESUS
    }
store-references-club-memberships = { $count ->
        [one] { $count } adhésion à un club
       *[other] { $count } adhésions à des clubs
    }
store-references-hosted-clubs = { $count ->
        [one] { $count } club qu'elle accueille
       *[other] { $count } clubs qu'elle accueille
    }
store-references-organised-events = { $count ->
        [one] { $count } événement qu'elle organise
       *[other] { $count } événements qu'elle organise
    }
store-references-given-sponsorships = { $count ->
        [one] { $count } mécénat qu'elle accorde
       *[other] { $count } mécénats qu'elle accorde
    }
store-references-received-sponsorships = { $count ->
        [one] { $count } mécénat qu'elle reçoit
       *[other] { $count } mécénats qu'elle reçoit
    }
store-references-partner-users = { $count ->
        [one] { $count } compte utilisateur partenaire
       *[other] { $count } comptes utilisateurs partenaires
    }
store-references-partner-clients = { $count ->
        [one] { $count } client d'API partenaire
       *[other] { $count } clients d'API partenaires
    }
store-references-members = { $count ->
        [one] { $count } membre
       *[other] { $count } membres
    }
store-references-events = { $count ->
        [one] { $count } événement
       *[other] { $count } événements
    }
store-references-sponsorships = { $count ->
        [one] { $count } mécénat
       *[other] { $count } mécénats
    }
store-references-organisers = { $count ->
        [one] { $count } organisateur
       *[other] { $count } organisateurs
    }

## Titres de colonne des exports tableur (XLSX), par colonne : `column-<nom>` ; un import XLSX
## lit une colonne sous son titre dans l'une ou l'autre langue, ou sous son nom
column-action = Action
column-actions = Actions
column-active = Actif
column-active_member_count = Membres actifs
column-actor_kind = Type d'auteur
column-actor_role = Rôle de l'auteur
column-actor_subject = Auteur
column-agreement_reference = Référence de la convention
column-amount_cents = Montant (€)
column-applied_on = Demande le
column-at = Date et heure
column-attendance = Participants
column-audience = Public visé
column-authority = Autorité
column-basis = Fondement
column-beneficiary_id = Identifiant du bénéficiaire
column-beneficiary_name = Bénéficiaire
column-beneficiary_type = Type de bénéficiaire
column-capacity = Capacité
column-category = Catégorie
column-changes = Modifications
column-city = Commune
column-client_id = Identifiant client
column-club_id = Identifiant du club
column-commune_code = Code commune
column-counterparts_cents = Contreparties (€)
column-created_at = Créé le
column-currency = Devise
column-data = Données
column-decided_on = Décision le
column-decision_reference = Référence de la décision
column-department_code = Code département
column-description = Description
column-disabled_reason = Motif de désactivation
column-email = Courriel
column-ends_at = Fin
column-ends_on = Fin le
column-esus_status = Statut ESUS
column-esus_valid_until = ESUS valable jusqu'au
column-founded_on = Date de création
column-host_organisation_id = Identifiant de l'organisation d'accueil
column-host_organisation_name = Organisation d'accueil
column-id = Identifiant
column-is_ess = ESS
column-joined_on = Adhésion le
column-kind = Nature
column-left_on = Départ le
column-legal_category_code = Code catégorie juridique
column-name = Nom
column-notes = Notes
column-online = En ligne
column-online_url = Lien en ligne
column-organisation_category = Catégorie de l'organisation
column-organisation_id = Identifiant de l'organisation
column-organisation_name = Organisation
column-organisers = Organisateurs
column-owner_organisation_id = Identifiant de l'organisation du titulaire
column-owner_region_code = Code région du titulaire
column-owner_role = Rôle du titulaire
column-owner_subject = Titulaire
column-parent_id = Identifiant parent
column-phone = Téléphone
column-position = Position
column-postal_code = Code postal
column-public = Public
column-region_code = Code région
column-resource = Ressource
column-rna = RNA
column-role = Rôle
column-siren = SIREN
column-siret = SIRET
column-sponsor_id = Identifiant du mécène
column-sponsor_name = Mécène
column-starts_at = Début
column-starts_on = Début le
column-status = Statut
column-street = Adresse
column-themes = Thèmes
column-time_zone = Fuseau horaire
column-title = Titre
column-type = Type
column-types = Types
column-updated_at = Modifié le
column-url = URL
column-valid_from = Valable du
column-valid_until = Valable jusqu'au
column-venue = Lieu
column-version = Version
column-website = Site web
column-withdrawn_on = Retrait le

## Types de problème (src/http/problems.rs) et leur page, `GET /problems/{code}` : par code,
## `problem-<code>` (le titre de chaque réponse de problème), `problem-<code>-meaning`, `problem-<code>-remedy`
problem-bad_request = Requête incorrecte
problem-bad_request-meaning = La requête ne peut pas être lue comme HTTP le prévoit.
problem-bad_request-remedy = Vérifiez la ligne de requête et les en-têtes.
problem-malformed_json = JSON mal formé
problem-malformed_json-meaning = Le corps n'est pas du JSON valide, ou pas la valeur JSON qu'attend l'opération (un tableau pour un import).
problem-malformed_json-remedy = Envoyez du JSON bien formé, de la forme documentée.
problem-unreadable_body = Corps illisible
problem-unreadable_body-meaning = Le corps n'a pas pu être lu (il n'est pas en UTF-8, ou il est tronqué).
problem-unreadable_body-remedy = Envoyez le corps en entier, encodé en UTF-8.
problem-invalid_parameter = Paramètre de requête invalide
problem-invalid_parameter-meaning = Un paramètre de requête ne se lit pas, sort des valeurs permises ou est inconnu ; `detail` le nomme.
problem-invalid_parameter-remedy = Corrigez ou retirez le paramètre nommé dans `detail`.
problem-invalid_cursor = Curseur invalide
problem-invalid_cursor-meaning = Le curseur (ou la position `after`) n'a pas été produit par cette liste, ou l'a été pour un autre tri.
problem-invalid_cursor-remedy = Repassez tel quel le `next_cursor` de la page précédente, avec le même `sort`.
problem-invalid_idempotency_key = Idempotency-Key invalide
problem-invalid_idempotency_key-meaning = L'en-tête `Idempotency-Key` est vide, trop long (plus de 255 caractères) ou n'est pas en ASCII imprimable.
problem-invalid_idempotency_key-remedy = Envoyez une nouvelle clé aléatoire (un UUID) pour chaque opération.
problem-invalid_request = Demande de jeton invalide
problem-invalid_request-meaning = Il manque un champ à la demande de jeton, ou elle envoie deux fois les identifiants du client (`invalid_request` d'OAuth 2.0).
problem-invalid_request-remedy = Envoyez un seul type d'autorisation (grant) avec ses champs, comme le documente le point d'accès des jetons.
problem-invalid_grant = Autorisation refusée
problem-invalid_grant-meaning = L'e-mail ou le mot de passe est erroné, ou le jeton de rafraîchissement a déjà servi, a été révoqué ou a expiré (`invalid_grant` d'OAuth 2.0).
problem-invalid_grant-remedy = Vérifiez les identifiants, ou reconnectez-vous.
problem-unsupported_grant_type = Type d'autorisation non pris en charge
problem-unsupported_grant_type-meaning = Le `grant_type` n'est ni `password`, ni `client_credentials`, ni `refresh_token`.
problem-unsupported_grant_type-remedy = Utilisez l'un des trois.
problem-unauthenticated = Authentification requise
problem-unauthenticated-meaning = L'opération demande d'être connecté et la requête ne porte aucun jeton.
problem-unauthenticated-remedy = Connectez-vous (`POST /api/v1/auth/token`) et envoyez `Authorization: Bearer <access_token>`.
problem-invalid_token = Jeton invalide
problem-invalid_token-meaning = Le jeton d'accès est mal formé, a expiré ou n'a pas été signé par ce service ; `WWW-Authenticate` dit pourquoi.
problem-invalid_token-remedy = Obtenez un nouveau jeton (rafraîchissez-le, ou reconnectez-vous).
problem-invalid_client = Échec de l'authentification du client
problem-invalid_client-meaning = L'identifiant ou le secret du client est erroné, ou le client est désactivé (`invalid_client` d'OAuth 2.0).
problem-invalid_client-remedy = Vérifiez les identifiants du client ; un administrateur peut renouveler son secret.
problem-forbidden = Action interdite
problem-forbidden-meaning = Le rôle de l'appelant ne lui permet pas cette action sur cet enregistrement ; `detail` dit ce que le rôle permet.
problem-forbidden-remedy = Demandez à quelqu'un dont le rôle le permet (la Cress de la région, un administrateur).
problem-not_found = Introuvable
problem-not_found-meaning = Aucun enregistrement n'a cet identifiant, ou l'appelant n'a pas à en connaître l'existence.
problem-not_found-remedy = Vérifiez l'identifiant ; les listes montrent ce que l'appelant peut lire.
problem-method_not_allowed = Méthode non autorisée
problem-method_not_allowed-meaning = L'adresse existe, mais pas avec cette méthode ; `Allow` liste celles qu'elle accepte.
problem-method_not_allowed-remedy = Utilisez l'une des méthodes listées dans `Allow`.
problem-not_acceptable = Format non acceptable
problem-not_acceptable-meaning = Aucun des types de média que permet `Accept` ne peut être servi.
problem-not_acceptable-remedy = Acceptez `application/json` (les listes peuvent aussi répondre en CSV et en XLSX).
problem-duplicate = Existe déjà
problem-duplicate-meaning = Un autre enregistrement porte ce SIREN, ce SIRET, ce RNA, cet e-mail ou cette adhésion ; `existing_id` le désigne.
problem-duplicate-remedy = Modifiez plutôt l'enregistrement existant, ou corrigez l'identifiant.
problem-in_use = Encore référencé
problem-in_use-meaning = L'enregistrement ne peut pas être supprimé tant que d'autres y renvoient ; `detail` les compte.
problem-in_use-remedy = Supprimez ou déplacez d'abord ce qui y renvoie.
problem-concurrent_update = Modification simultanée
problem-concurrent_update-meaning = D'autres requêtes ont modifié l'enregistrement au même moment, dix fois de suite.
problem-concurrent_update-remedy = Renvoyez la même requête une fois passé le délai de `Retry-After`.
problem-illegal_transition = Changement de statut interdit
problem-illegal_transition-meaning = Le statut actuel de l'enregistrement ne permet pas ce changement (une accréditation ESUS refusée, puis accordée).
problem-illegal_transition-remedy = Relisez l'enregistrement et faites un changement que son statut permet.
problem-open_accreditation = Accréditation ESUS en cours
problem-open_accreditation-meaning = L'organisation a déjà une accréditation demandée ou accordée en vigueur.
problem-open_accreditation-remedy = Statuez d'abord sur celle qui est en cours ou mettez-y fin, ou renouvelez une accréditation accordée dans les 6 mois qui précèdent sa fin.
problem-last_admin = Dernier administrateur
problem-last_admin-meaning = Ce changement ne laisserait aucun administrateur actif.
problem-last_admin-remedy = Faites d'abord d'un autre compte un administrateur.
problem-already_member = Déjà membre
problem-already_member-meaning = L'organisation est déjà membre du club.
problem-already_member-remedy = Modifiez plutôt l'adhésion existante.
problem-idempotency_key_in_use = Requête en cours
problem-idempotency_key_in_use-meaning = Une requête avec cette `Idempotency-Key` est encore en cours de traitement.
problem-idempotency_key_in_use-remedy = Attendez qu'elle se termine, puis renvoyez-la pour obtenir sa réponse.
problem-precondition_failed = Échec de la précondition
problem-precondition_failed-meaning = `If-Match` désigne une version qui n'est plus la version actuelle : quelqu'un a modifié l'enregistrement depuis qu'il a été lu.
problem-precondition_failed-remedy = Relisez l'enregistrement (nouvel `ETag`), refaites la modification et envoyez-la avec la nouvelle étiquette.
problem-payload_too_large = Corps de requête trop volumineux
problem-payload_too_large-meaning = Le corps dépasse la taille qu'accepte le serveur (`MAX_BODY_BYTES`, ou `IMPORT_MAX_BYTES` pour un import).
problem-payload_too_large-remedy = Envoyez moins de données : découpez un import en plusieurs fichiers.
problem-unsupported_media_type = Type de média non pris en charge
problem-unsupported_media_type-meaning = Le `Content-Type` du corps n'est pas l'un de ceux qu'accepte l'opération.
problem-unsupported_media_type-remedy = Envoyez du `application/json` (pour les imports, aussi du CSV ou du XLSX).
problem-validation_failed = Requête invalide
problem-validation_failed-meaning = Des champs enfreignent les règles ; `errors` liste chacun d'eux avec son `field`, son `code` et son `message`.
problem-validation_failed-remedy = Corrigez chaque champ listé, puis renvoyez la requête.
problem-rows_invalid = Des lignes sont invalides
problem-rows_invalid-meaning = Des lignes de l'import enfreignent les règles ; rien n'a été importé. `errors` liste les 100 premières avec leur `row` (et leur `line` dans la feuille), `error_count` les compte toutes.
problem-rows_invalid-remedy = Corrigez les lignes listées, ou importez avec `mode=valid_only` pour garder les lignes valides.
problem-malformed_csv = CSV mal formé
problem-malformed_csv-meaning = Le fichier CSV n'est pas un tableau bien formé (un guillemet jamais fermé, une ligne qui a trop de cellules, un fichier déclaré en UTF-8 qui ne l'est pas) ; `detail` indique la ligne.
problem-malformed_csv-remedy = Enregistrez de nouveau le fichier depuis le tableur, au format CSV.
problem-malformed_xlsx = Classeur illisible
problem-malformed_xlsx-meaning = Le corps n'est pas un classeur Excel (.xlsx) lisible, ou sa première feuille est vide.
problem-malformed_xlsx-remedy = Enregistrez-le de nouveau depuis Excel au format .xlsx, avec les noms de colonnes sur la première ligne.
problem-too_many_rows = Trop de lignes pour une feuille
problem-too_many_rows-meaning = La liste compte plus de lignes que n'en contient une feuille Excel (1 048 575).
problem-too_many_rows-remedy = Restreignez la liste avec ses filtres, ou exportez-la en CSV.
problem-idempotency_key_reused = Idempotency-Key réutilisée
problem-idempotency_key_reused-meaning = Cette `Idempotency-Key` a déjà servi pour une autre requête (un autre corps ou une autre adresse).
problem-idempotency_key_reused-remedy = Utilisez une nouvelle clé pour chaque requête distincte.
problem-too_many_requests = Trop de requêtes
problem-too_many_requests-meaning = Trop de connexions ont échoué (ou trop de connexions simultanées) ; `Retry-After` indique quand réessayer.
problem-too_many_requests-remedy = Attendez le nombre de secondes indiqué par `Retry-After`.
problem-client_error = Erreur du client
problem-client_error-meaning = La requête a été refusée pour une raison que donne son statut HTTP.
problem-client_error-remedy = Lisez `detail` et le statut.
problem-internal_error = Erreur interne
problem-internal_error-meaning = Une erreur s'est produite dans le serveur ; elle est journalisée avec l'`X-Request-Id` de la requête.
problem-internal_error-remedy = Réessayez ; si le problème persiste, communiquez l'`X-Request-Id` à la Cress.
problem-service_unavailable = Service indisponible
problem-service_unavailable-meaning = La base de données ne répond pas pour le moment.
problem-service_unavailable-remedy = Réessayez une fois passé le délai de `Retry-After`.
problem-request_timeout = Délai de requête dépassé
problem-request_timeout-meaning = La requête a pris plus de temps que le serveur ne l'autorise (`REQUEST_TIMEOUT_SECONDS` ; pour un import, le travail qui suit son envoi) ; rien n'a été écrit.
problem-request_timeout-remedy = Réessayez ; découpez un import volumineux.
problem-upload_stalled = Envoi interrompu
problem-upload_stalled-meaning = Le corps d'un import a cessé d'arriver : rien n'en est venu pendant `REQUEST_TIMEOUT_SECONDS` (un envoi lent convient tant qu'il continue) ; rien n'a été écrit.
problem-upload_stalled-remedy = Renvoyez le fichier par une connexion plus stable.

## Codes d'erreur de champ (`errors[].code`) : `field-code-<code>`, ce qu'il signifie
field-code-required = Le champ est obligatoire mais absent ou null.
field-code-blank = Le texte est vide une fois les espaces retirés.
field-code-too_long = Le texte est plus long que le champ ne le permet.
field-code-too_short = Le texte est plus court que le champ ne l'exige (un mot de passe).
field-code-too_many = La liste compte plus d'éléments que permis (thèmes, organisateurs).
field-code-invalid_format = La valeur n'a pas la forme attendue pour le champ (un e-mail, une date, un SIREN de 9 chiffres…).
field-code-invalid_checksum = Un SIREN ou un SIRET dont la clé de contrôle (Luhn) est fausse : un chiffre a été mal saisi.
field-code-unknown_code = Un code bien formé mais qui n'existe pas (région, département, catégorie juridique…).
field-code-mismatch = La valeur contredit un autre champ du même enregistrement (une catégorie et une catégorie juridique, une fin avant un début).
field-code-not_allowed = Le champ ne peut pas être renseigné dans cet état (une date de décision sur une demande).
field-code-out_of_range = Un nombre ou une date hors des valeurs permises.
field-code-in_future = Une date ou un nombre qui ne peut être connu qu'une fois les faits survenus.
field-code-before_start = Une date de fin antérieure à la date de début.
field-code-same_as_sponsor = Un mécénat dont le bénéficiaire est son propre mécène.
field-code-counterparts_over_25_percent = Un mécénat dont les contreparties dépassent 25 % du montant donné : réduisez-les, ou enregistrez le soutien comme parrainage (commercial_sponsorship).
field-code-unsupported_currency = Une devise autre que l'EUR.
field-code-invalid_type = La valeur JSON n'a pas le bon type (un nombre à la place d'une chaîne, une valeur d'énumération inconnue).
field-code-unknown_field = Un champ (ou une colonne d'import) que cette opération ne connaît pas.
field-code-unknown_value = Une valeur que ce champ ne prend pas : il attend l'un des noms qu'il énumère (une énumération).
field-code-duplicate_field = Une colonne d'import nommée deux fois dans l'en-tête.
field-code-not_found = Un enregistrement référencé (une organisation, un club) n'existe pas : créez-le d'abord.
field-code-duplicate = Un autre enregistrement porte cette valeur (SIREN, SIRET, RNA, e-mail).
field-code-duplicate_in_file = Une ligne précédente du même import porte cette valeur.
field-code-forbidden = L'appelant ne peut pas importer ou écrire cette ligne (une autre région).
field-code-unsafe_url = Une URL de webhook vers laquelle les envois sont interdits (une adresse privée, un schéma autre que http(s)).

## Les mots des pages de problème
problems-page-status = statut HTTP { $status }
problems-page-meaning = Ce que cela signifie
problems-page-remedy = Que faire
problems-page-field-codes = Codes d'erreur des champs
problems-page-documentation = La documentation de l'API
# $code : le code demandé, qui n'est pas l'un de ceux du service
problems-unknown = aucun type de problème { $code }

