//! The change feed (`GET /api/v1/changes`): every write once, in commit order, tombstones, the
//! `types` filter, cursors that resume with no gap and no duplicate (also for a consumer
//! interrupted at random points while several tasks write), and what each role sees.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};

use reqwest::StatusCode;
use serde_json::{Value, json};

use cress_api::core::Role;

use crate::helpers::{TestApp, json_of, manager_of, organisation, partner_of, problem_of};
use crate::on_both_backends;

/// Every item of the feed as `who` sees it, from the start, following `next_cursor`.
pub(crate) async fn whole_feed(app: &TestApp, token: Option<&Role>, query: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..1000 {
        let path = match &after {
            Some(cursor) => format!("/api/v1/changes?limit=7{query}&after={cursor}"),
            None => format!("/api/v1/changes?limit=7{query}"),
        };
        let response = match token {
            Some(role) => app.as_role(role).get(&path).await,
            None => app.as_anonymous().get(&path).await,
        };
        let page = json_of(response, StatusCode::OK).await;
        items.extend(page["items"].as_array().expect("items").iter().cloned());
        after = Some(
            page["next_cursor"]
                .as_str()
                .expect("next_cursor is always present")
                .to_owned(),
        );
        if page["has_more"] == json!(false) {
            return items;
        }
    }
    panic!("more than 1000 pages of changes");
}

fn id_of(value: &Value) -> &str {
    value["id"].as_str().expect("an id")
}

/// (type, action, id) of each item.
fn summary(items: &[Value]) -> Vec<(String, String, String)> {
    items
        .iter()
        .map(|i| {
            (
                i["type"].as_str().unwrap().to_owned(),
                i["action"].as_str().unwrap().to_owned(),
                i["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Applies the feed to a mirror: (type, id, parent) → version.
fn apply(mirror: &mut BTreeMap<(String, String, String), i64>, item: &Value) {
    let key = (
        item["type"].as_str().unwrap().to_owned(),
        item["id"].as_str().unwrap().to_owned(),
        item["parent_id"].as_str().unwrap_or_default().to_owned(),
    );
    match item["action"].as_str().unwrap() {
        "deleted" => {
            assert!(item["data"].is_null(), "a tombstone has no data: {item}");
            mirror.remove(&key);
        }
        _ => {
            assert!(item["data"].is_object(), "a creation or update has its data: {item}");
            mirror.insert(key, item["version"].as_i64().unwrap());
        }
    }
}

/// How many tasks write at once while the consumer reads.
const WRITERS: usize = 4;

/// A small xorshift generator: no crate needed, the seed is printed to replay a failure.
struct Rng(u64);

impl Rng {
    fn seeded() -> Self {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(42)
            | 1;
        eprintln!("random seed {seed}");
        Self(seed)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

on_both_backends! {
    async fn every_write_appears_once_in_commit_order_with_tombstones(app: TestApp) {
        let org = app.create_organisation(organisation("Recyclerie du Lodévois", json!({"email": "contact@recyclerie.example"}))).await;
        let host = app.create_organisation(organisation("Cress Occitanie", json!({"category": "network"}))).await;
        json_of(app.patch_json(&format!("/api/v1/organisations/{}", id_of(&org)), &json!({"city": "Lodève"})).await, StatusCode::OK).await;
        let accreditation = json_of(
            app.post_json(
                &format!("/api/v1/organisations/{}/esus-accreditations", id_of(&org)),
                &json!({"basis": "conditions", "applied_on": "2026-01-15"}),
            )
            .await,
            StatusCode::CREATED,
        )
        .await;
        let club = json_of(
            app.post_json("/api/v1/clubs", &json!({"name": "Club des collectivités", "region_code": "76", "host_organisation_id": id_of(&host)})).await,
            StatusCode::CREATED,
        )
        .await;
        let members = format!("/api/v1/clubs/{}/members", id_of(&club));
        json_of(app.post_json(&members, &json!({"organisation_id": id_of(&org), "joined_on": "2025-01-01"})).await, StatusCode::CREATED).await;
        let member = format!("{members}/{}", id_of(&org));
        json_of(app.patch_json(&member, &json!({"role": "patron"})).await, StatusCode::OK).await;
        assert_eq!(app.delete(&member).await.status(), StatusCode::NO_CONTENT);
        let event = json_of(
            app.post_json("/api/v1/events", &json!({
                "title": "Journée du club", "kind": "meeting", "starts_at": "2027-03-10T09:00:00+01:00",
                "ends_at": "2027-03-10T12:00:00+01:00", "city": "Lodève", "region_code": "76",
                "organisers": [{"organisation_id": id_of(&host), "role": "organiser"}], "themes": ["mois-ess"]
            })).await,
            StatusCode::CREATED,
        )
        .await;
        json_of(app.patch_json(&format!("/api/v1/events/{}", id_of(&event)), &json!({"organisers": []})).await, StatusCode::OK).await;
        let sponsorship = json_of(
            app.post_json("/api/v1/sponsorships", &json!({
                "sponsor_id": id_of(&host), "beneficiary": {"type": "club", "id": id_of(&club)},
                "kind": "financial_patronage", "amount_cents": 1_500_000, "starts_on": "2026-01-01", "public": true
            })).await,
            StatusCode::CREATED,
        )
        .await;
        assert_eq!(app.delete(&format!("/api/v1/sponsorships/{}", id_of(&sponsorship))).await.status(), StatusCode::NO_CONTENT);
        assert_eq!(app.delete(&format!("/api/v1/events/{}", id_of(&event))).await.status(), StatusCode::NO_CONTENT);
        // Accounts are audited, never in the feed.
        json_of(app.post_json("/api/v1/clients", &json!({"name": "SI partenaire", "role": "viewer"})).await, StatusCode::CREATED).await;

        let items = whole_feed(&app, Some(&Role::Admin), "").await;

        let (org_id, host_id, club_id) = (id_of(&org).to_owned(), id_of(&host).to_owned(), id_of(&club).to_owned());
        let (event_id, sponsorship_id) = (id_of(&event).to_owned(), id_of(&sponsorship).to_owned());
        let expected = vec![
            ("organisation", "created", org_id.clone()),
            ("organisation", "created", host_id.clone()),
            ("organisation", "updated", org_id.clone()),
            ("esus_accreditation", "created", id_of(&accreditation).to_owned()),
            // The accreditation changed the organisation's ESUS summary, in the same transaction.
            ("organisation", "updated", org_id.clone()),
            ("club", "created", club_id.clone()),
            ("club_member", "created", org_id.clone()),
            ("club_member", "updated", org_id.clone()),
            ("club_member", "deleted", org_id.clone()),
            ("event", "created", event_id.clone()),
            ("event", "updated", event_id.clone()),
            ("sponsorship", "created", sponsorship_id.clone()),
            ("sponsorship", "deleted", sponsorship_id.clone()),
            ("event", "deleted", event_id.clone()),
        ];
        let expected: Vec<(String, String, String)> =
            expected.into_iter().map(|(t, a, i)| (t.to_owned(), a.to_owned(), i)).collect();
        assert_eq!(summary(&items), expected);

        let positions: Vec<&str> = items.iter().map(|i| i["position"].as_str().unwrap()).collect();
        assert_eq!(positions.iter().collect::<BTreeSet<_>>().len(), items.len(), "positions are unique");
        assert_eq!(items[2]["data"]["city"], "Lodève", "an update carries the record after it");
        assert_eq!(items[2]["version"], 2);
        assert_eq!(items[4]["data"]["esus_status"], "applied", "the summary update carries the new summary");
        assert_eq!(items[0]["data"]["email"], "contact@recyclerie.example", "admins see confidential fields");
        assert_eq!(items[6]["parent_id"], json!(club_id), "a member names its club");
        assert_eq!(items[8]["parent_id"], json!(club_id), "a member's tombstone names its club");
        assert_eq!(items[8]["data"], Value::Null);
        assert_eq!(items[9]["data"]["organisers"][0]["organisation_id"], json!(host_id), "organisers are part of the event");
        assert_eq!(items[10]["data"]["organisers"], json!([]));
        assert_eq!(items[13]["data"], Value::Null);
        assert_eq!(items[13]["version"], 2, "a tombstone carries the deleted version");

        // The types filter, and a page that ends the feed keeps the position to poll from.
        let events = whole_feed(&app, Some(&Role::Admin), "&types=event,sponsorship").await;
        assert_eq!(
            summary(&events),
            expected.iter().filter(|(t, _, _)| t == "event" || t == "sponsorship").cloned().collect::<Vec<_>>()
        );
        let last = items.last().unwrap()["position"].as_str().unwrap().to_owned();
        let end = json_of(app.get(&format!("/api/v1/changes?after={last}")).await, StatusCode::OK).await;
        assert_eq!(end, json!({"items": [], "next_cursor": last, "has_more": false}));
        app.create_organisation(organisation("Après la fin", json!({}))).await;
        let polled = json_of(app.get(&format!("/api/v1/changes?after={last}")).await, StatusCode::OK).await;
        assert_eq!(polled["items"].as_array().unwrap().len(), 1, "polling from the end finds the new change: {polled}");
    }

    async fn cursors_resume_strictly_after_and_bad_parameters_are_400(app: TestApp) {
        for i in 0..5 {
            app.create_organisation(organisation(&format!("Association {i}"), json!({}))).await;
        }
        let all = whole_feed(&app, Some(&Role::Viewer), "").await;
        assert_eq!(all.len(), 5);
        for (n, item) in all.iter().enumerate() {
            let after = item["position"].as_str().unwrap();
            let page = app.as_role(&Role::Viewer).get(&format!("/api/v1/changes?after={after}&limit=200")).await;
            let page = json_of(page, StatusCode::OK).await;
            assert_eq!(page["items"].as_array().unwrap(), &all[n + 1..], "after item {n}");
            assert_eq!(page["has_more"], false);
        }
        let page = json_of(app.get("/api/v1/changes?limit=2").await, StatusCode::OK).await;
        assert_eq!(page["has_more"], true);
        assert_eq!(page["next_cursor"], all[1]["position"]);
        for bad in ["after=xyz", "after=", "limit=0", "limit=201", "types=user", "types=organisations", "cursor=MQ"] {
            let response = app.get(&format!("/api/v1/changes?{bad}")).await;
            assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{bad}");
        }
    }

    async fn an_interrupted_consumer_mirrors_exactly_what_concurrent_writers_leave(app: TestApp) {
        let mut rng = Rng::seeded();
        let sponsor = app.create_organisation(organisation("Mutuelle mécène", json!({"category": "mutual"}))).await;
        let sponsor_id = id_of(&sponsor).to_owned();
        let done = AtomicUsize::new(0);
        let writers = (0..WRITERS).map(|w| {
            let (app, done, sponsor_id) = (&app, &done, &sponsor_id);
            async move {
                for i in 0..8 {
                    let org = app.create_organisation(organisation(&format!("Structure {w}-{i}"), json!({}))).await;
                    let path = format!("/api/v1/organisations/{}", id_of(&org));
                    json_of(app.patch_json(&path, &json!({"city": format!("Ville {i}")})).await, StatusCode::OK).await;
                    let sponsorship = json_of(
                        app.post_json("/api/v1/sponsorships", &json!({
                            "sponsor_id": sponsor_id, "beneficiary": {"type": "organisation", "id": id_of(&org)},
                            "kind": "financial_patronage", "amount_cents": 100_000, "starts_on": "2026-01-01",
                            "public": i % 2 == 0
                        })).await,
                        StatusCode::CREATED,
                    )
                    .await;
                    if i % 3 == 0 {
                        let gone = format!("/api/v1/sponsorships/{}", id_of(&sponsorship));
                        assert_eq!(app.delete(&gone).await.status(), StatusCode::NO_CONTENT);
                        assert_eq!(app.delete(&path).await.status(), StatusCode::NO_CONTENT);
                    }
                }
                done.fetch_add(1, Ordering::SeqCst);
            }
        });

        // The consumer reads pages of random sizes, and now and then stops in the middle of a
        // page (as if interrupted: it keeps only the position of the last change it applied)
        // and starts again from there, while the writers write.
        let consumer = async {
            let mut mirror = BTreeMap::new();
            let mut seen = BTreeSet::new();
            let mut after: Option<String> = None;
            let mut interruptions = 0;
            let mut last_round = false;
            loop {
                let writers_done = done.load(Ordering::SeqCst) == WRITERS;
                let limit = 1 + rng.below(9);
                let path = match &after {
                    Some(a) => format!("/api/v1/changes?limit={limit}&after={a}"),
                    None => format!("/api/v1/changes?limit={limit}"),
                };
                let page = json_of(app.get(&path).await, StatusCode::OK).await;
                let items = page["items"].as_array().unwrap();
                let taken = if rng.below(3) == 0 { rng.below(items.len() as u64 + 1) as usize } else { items.len() };
                for item in &items[..taken] {
                    assert!(seen.insert(item["position"].as_str().unwrap().to_owned()), "no duplicate: {item}");
                    apply(&mut mirror, item);
                    after = Some(item["position"].as_str().unwrap().to_owned());
                }
                if taken < items.len() {
                    interruptions += 1;
                    continue;
                }
                after = Some(page["next_cursor"].as_str().unwrap().to_owned());
                if page["has_more"] == json!(false) {
                    if last_round {
                        return (mirror, interruptions);
                    }
                    // One more full read once every writer has ended: nothing may be left behind.
                    last_round = writers_done;
                }
                tokio::task::yield_now().await;
            }
        };
        let (_, (mirror, interruptions)) = futures_util::future::join(futures_util::future::join_all(writers), consumer).await;
        assert!(interruptions > 0, "the consumer was interrupted at least once");

        let mut source = BTreeMap::new();
        for o in app.all_pages("/api/v1/organisations?limit=200").await {
            source.insert(("organisation".to_owned(), id_of(&o).to_owned(), String::new()), o["version"].as_i64().unwrap());
        }
        for s in app.all_pages("/api/v1/sponsorships?limit=200").await {
            source.insert(("sponsorship".to_owned(), id_of(&s).to_owned(), String::new()), s["version"].as_i64().unwrap());
        }
        assert_eq!(mirror, source, "the mirror built from the feed is the register");
        assert_eq!(source.len(), 1 + WRITERS * 5 + WRITERS * 5, "organisations and sponsorships left by the writers");
    }

    async fn each_caller_sees_its_scope_and_no_confidential_field_beyond_it(app: TestApp) {
        let home = app.create_organisation(organisation("Mutuelle de l'Hérault", json!({"email": "m@h.example", "phone": "0467000000"}))).await;
        let away = app.create_organisation(organisation("Coopérative bretonne", json!({"region_code": "53", "email": "c@b.example"}))).await;
        let accreditation = json_of(
            app.post_json(
                &format!("/api/v1/organisations/{}/esus-accreditations", id_of(&home)),
                &json!({"basis": "conditions", "applied_on": "2026-01-15", "notes": "dossier complet"}),
            )
            .await,
            StatusCode::CREATED,
        )
        .await;
        let draft = json_of(
            app.post_json("/api/v1/events", &json!({
                "title": "Brouillon", "kind": "meeting", "starts_at": "2027-03-10T09:00:00+01:00",
                "ends_at": "2027-03-10T12:00:00+01:00", "city": "Sète", "region_code": "76"
            })).await,
            StatusCode::CREATED,
        )
        .await;
        let event_path = format!("/api/v1/events/{}", id_of(&draft));
        json_of(app.patch_json(&event_path, &json!({"status": "published"})).await, StatusCode::OK).await;
        let private = json_of(
            app.post_json("/api/v1/sponsorships", &json!({
                "sponsor_id": id_of(&home), "beneficiary": {"type": "organisation", "id": id_of(&away)},
                "kind": "financial_patronage", "amount_cents": 250_000, "starts_on": "2026-01-01", "public": false,
                "notes": "convention signée"
            })).await,
            StatusCode::CREATED,
        )
        .await;

        // Anonymous: no accreditation, the draft and the private sponsorship as tombstones, no
        // confidential field.
        let anonymous = whole_feed(&app, None, "").await;
        let types: BTreeSet<&str> = anonymous.iter().map(|i| i["type"].as_str().unwrap()).collect();
        assert!(!types.contains("esus_accreditation"), "{types:?}");
        let of = |items: &[Value], id: &str| -> Vec<Value> { items.iter().filter(|i| i["id"] == json!(id)).cloned().collect() };
        let event_items = of(&anonymous, id_of(&draft));
        assert_eq!(event_items[0]["action"], "deleted", "a draft reads as a tombstone to anonymous callers");
        assert_eq!(event_items[0]["data"], Value::Null);
        assert_eq!(event_items[1]["action"], "updated", "published: the data comes");
        assert_eq!(event_items[1]["data"]["title"], "Brouillon");
        let sponsorship_items = of(&anonymous, id_of(&private));
        assert_eq!(sponsorship_items.len(), 1);
        assert_eq!(sponsorship_items[0]["action"], "deleted");
        for item in &anonymous {
            for key in ["email", "phone", "amount_cents", "counterparts_cents", "notes"] {
                assert!(item["data"].get(key).is_none(), "anonymous callers never see {key}: {item}");
            }
        }
        problem_of(
            app.as_anonymous().get("/api/v1/changes?types=esus_accreditation").await,
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
        )
        .await;

        // Viewer: everything, no confidential field.
        let viewer = whole_feed(&app, Some(&Role::Viewer), "").await;
        assert_eq!(of(&viewer, id_of(&accreditation)).len(), 1, "logged-in callers see accreditations");
        assert!(of(&viewer, id_of(&accreditation))[0]["data"].get("notes").is_none());
        assert_eq!(of(&viewer, id_of(&private))[0]["action"], "created");
        assert!(of(&viewer, id_of(&private))[0]["data"].get("amount_cents").is_none());
        assert!(of(&viewer, id_of(&home))[0]["data"].get("email").is_none());

        // Partner of `home`: its own organisation's contacts and the sponsorships it gives.
        let partner = whole_feed(&app, Some(&partner_of(&home["id"])), "").await;
        assert_eq!(of(&partner, id_of(&home))[0]["data"]["email"], "m@h.example");
        assert!(of(&partner, id_of(&away))[0]["data"].get("email").is_none());
        assert_eq!(of(&partner, id_of(&private))[0]["data"]["amount_cents"], 250_000);
        assert_eq!(of(&partner, id_of(&accreditation))[0]["data"]["notes"], "dossier complet");

        // Manager of region 76: its region's confidential fields; the sponsorship's beneficiary is in 53.
        let manager = whole_feed(&app, Some(&manager_of("76")), "").await;
        assert_eq!(of(&manager, id_of(&home))[0]["data"]["phone"], "0467000000");
        assert!(of(&manager, id_of(&away))[0]["data"].get("email").is_none());
        assert!(of(&manager, id_of(&private))[0]["data"].get("notes").is_none());
        assert_eq!(of(&manager, id_of(&accreditation))[0]["data"]["notes"], "dossier complet");
        let breton = whole_feed(&app, Some(&manager_of("53")), "").await;
        assert_eq!(of(&breton, id_of(&private))[0]["data"]["notes"], "convention signée");
        assert_eq!(of(&breton, id_of(&away))[0]["data"]["email"], "c@b.example");
    }
}

/// The record schema that the document gives the `data` of a change of `kind`, through
/// `ChangeItem`'s discriminator.
fn record_schema<'a>(doc: &'a Value, kind: &str) -> &'a Value {
    let item = doc["components"]["schemas"]["ChangeItem"]["discriminator"]["mapping"][kind]
        .as_str()
        .and_then(|reference| crate::openapi::resolve(doc, reference))
        .unwrap_or_else(|| panic!("ChangeItem maps `{kind}`"));
    let record = item["properties"]["data"]["oneOf"][0]["$ref"]
        .as_str()
        .expect("a change's data names its record");
    crate::openapi::resolve(doc, record).expect("the record schema exists")
}

on_both_backends! {
    async fn the_feeds_data_has_exactly_the_fields_the_document_gives_each_type(app: TestApp) {
        let settings = crate::helpers::settings_for(&app.database_url);
        let store = cress_api::store::Store::connect(&settings).await.expect("the database");
        let auth = cress_api::auth::Auth::load(&settings).expect("the keys");
        cress_api::seed::demo(store, auth).await.expect("the demo data loads");
        let doc: Value = serde_json::from_str(&cress_api::app::openapi_json()).expect("the document");

        for (who, items) in [
            ("an administrator", whole_feed(&app, Some(&Role::Admin), "").await),
            ("an anonymous caller", whole_feed(&app, None, "").await),
        ] {
            let mut seen = BTreeSet::new();
            for item in items.iter().filter(|item| !item["data"].is_null()) {
                let kind = item["type"].as_str().expect("a type");
                let schema = record_schema(&doc, kind);
                let declared: BTreeSet<&str> = schema["properties"]
                    .as_object()
                    .expect("properties")
                    .keys()
                    .map(String::as_str)
                    .collect();
                let required: BTreeSet<&str> =
                    schema["required"].as_array().expect("required").iter().filter_map(Value::as_str).collect();
                let sent: BTreeSet<&str> = item["data"].as_object().expect("data is an object").keys().map(String::as_str).collect();
                assert!(sent.is_subset(&declared), "{who}: {kind} sends undeclared {:?}", sent.difference(&declared).collect::<Vec<_>>());
                assert!(required.is_subset(&sent), "{who}: {kind} leaves out required {:?}", required.difference(&sent).collect::<Vec<_>>());
                if who == "an administrator" {
                    assert_eq!(sent, declared, "an administrator sees every field of a {kind}");
                }
                seen.insert(kind.to_owned());
            }
            let expected: BTreeSet<String> = match who {
                "an administrator" => ["organisation", "esus_accreditation", "club", "club_member", "event", "sponsorship"].map(String::from).into(),
                _ => ["organisation", "club", "club_member", "event", "sponsorship"].map(String::from).into(),
            };
            assert_eq!(seen, expected, "{who}: the demo's feed has every type it may read");
        }
    }
}
