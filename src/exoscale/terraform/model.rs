//! The Terraform model of a `pools_instance_pool` ([`InstancePoolModel`], its members as
//! [`Member`]) and its mapping to and from the API's types: the create body, the pool read
//! back ([`refreshed`], keeping the user's spelling wherever the API's answer means the same
//! thing, so plans stay clean), and [`changes`], the pure diff of two models into the API
//! calls that turn one into the other.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use crate::exoscale::api::wire::{
    CreateInstancePool, IdRef, Instance, InstancePool, NameRef, ResettableField, UpdateInstancePool,
};
use crate::plugin::{validators, Timeouts, Tri, Value};

crate::model! {
    /// One instance of a pool, as `instances` shows it.
    #[derive(Clone, Debug, Default, PartialEq)]
    pub struct Member {
        pub id: String,
        pub name: Option<String>,
        pub state: Option<String>,
        pub public_ip_address: Option<String>,
        pub ipv6_address: Option<String>,
    }
}

impl From<&Instance> for Member {
    fn from(i: &Instance) -> Self {
        Member {
            id: i.id.clone(),
            name: i.name.clone(),
            state: i.state.clone(),
            public_ip_address: i.public_ip.clone(),
            ipv6_address: i.ipv6_address.clone(),
        }
    }
}

crate::model! {
    /// The state of one `pools_instance_pool`. `Tri` fields are computed: a plan may leave
    /// them unknown, which never means "removed".
    #[derive(Clone, Debug, Default, PartialEq)]
    pub struct InstancePoolModel {
        pub id: Tri<String>,
        pub zone: Tri<String>,
        pub name: String,
        pub description: Option<String>,
        pub size: i64,
        pub instance_type: String,
        pub instance_type_id: Tri<String>,
        pub template_id: String,
        pub disk_size: i64,
        pub instance_prefix: Option<String>,
        pub labels: Option<BTreeMap<String, String>>,
        pub security_group_ids: Option<Vec<String>>,
        pub private_network_ids: Option<Vec<String>>,
        pub anti_affinity_group_ids: Option<Vec<String>>,
        pub elastic_ip_ids: Option<Vec<String>>,
        pub ssh_keys: Option<Vec<String>>,
        pub user_data: Option<String>,
        pub public_ip_assignment: Tri<String>,
        pub ipv6_enabled: Tri<bool>,
        pub min_available: Option<i64>,
        pub deploy_target_id: Option<String>,
        pub application_consistent_snapshot_enabled: Option<bool>,
        pub wait_for_instances: Option<bool>,
        pub state: Tri<String>,
        pub instance_ids: Tri<Vec<String>>,
        pub instances: Tri<Vec<Member>>,
        pub manager_id: Tri<String>,
        pub manager_type: Tri<String>,
        pub timeouts: Option<Timeouts>,
    }
}

/// The API's limit on user data, counted in base64 characters.
pub const USER_DATA_MAX: usize = 32_768;

/// Whether `text` is user data the user already base64-encoded: canonical standard base64
/// (padded, nothing after the padding) of a cloud-init document. Anything else, like
/// `test` (valid base64, but of bytes no cloud-init would read), is plain text.
pub fn is_encoded_user_data(text: &str) -> bool {
    match STANDARD.decode(text) {
        Ok(bytes) => STANDARD.encode(&bytes) == text && is_cloud_init(&bytes),
        Err(_) => false,
    }
}

/// What cloud-init recognises as user data: gzip data, or text starting with `#` (such as
/// `#cloud-config`, `#!`, `#include`, `## template: jinja`) or with a MIME header.
fn is_cloud_init(bytes: &[u8]) -> bool {
    const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
    const MIME: &[u8] = b"content-type:";
    if bytes.starts_with(GZIP_MAGIC) {
        return true;
    }
    std::str::from_utf8(bytes).is_ok_and(|text| {
        text.starts_with('#')
            || text
                .as_bytes()
                .get(..MIME.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(MIME))
    })
}

/// What the API receives for the user's `user_data`: base64, unless it already is.
pub fn encode_user_data(text: &str) -> String {
    if is_encoded_user_data(text) {
        text.to_string()
    } else {
        STANDARD.encode(text)
    }
}

/// The user data the API holds (base64), as the text that sends it back unchanged: the
/// decoded text when it is UTF-8 and would be re-encoded to the same value, else `api`.
pub fn decode_user_data(api: &str) -> String {
    STANDARD
        .decode(api)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .filter(|text| encode_user_data(text) == api)
        .unwrap_or_else(|| api.to_string())
}

/// [`same_user_data`] on values, for the plan's semantic equality.
pub fn same_user_data_value(a: &Value, b: &Value) -> bool {
    matches!((a.as_str(), b.as_str()), (Some(a), Some(b)) if same_user_data(a, b))
}

pub fn user_data_validator() -> impl validators::Validator {
    validators::custom(
        format!(
            "a non-empty cloud-init document of at most {USER_DATA_MAX} characters once base64-encoded"
        ),
        |v| {
            v.as_str()
                .is_some_and(|s| !s.is_empty() && encode_user_data(s).len() <= USER_DATA_MAX)
        },
    )
}

/// Two spellings of user data that the API would store identically.
pub fn same_user_data(a: &str, b: &str) -> bool {
    encode_user_data(a) == encode_user_data(b)
}

pub fn ids(refs: &Option<Vec<IdRef>>) -> Vec<String> {
    refs.iter().flatten().map(|r| r.id.clone()).collect()
}

fn id_refs(ids: &[String]) -> Vec<IdRef> {
    ids.iter().map(IdRef::new).collect()
}

/// The pool's SSH key names; the deprecated single `ssh-key` counts when the list is absent.
pub fn ssh_key_names(pool: &InstancePool) -> Vec<String> {
    match (&pool.ssh_keys, &pool.ssh_key) {
        (Some(keys), _) if !keys.is_empty() => keys.iter().map(|k| k.name.clone()).collect(),
        (_, Some(key)) => vec![key.name.clone()],
        _ => Vec::new(),
    }
}

/// A set from the API, in the prior state's order when it holds the same elements; empty
/// stays as the user had it (`[]` or unset).
pub fn keep_set(prior: &Option<Vec<String>>, api: Vec<String>) -> Option<Vec<String>> {
    if api.is_empty() {
        return prior.as_ref().filter(|p| p.is_empty()).cloned();
    }
    match prior {
        Some(p) if p.len() == api.len() && api.iter().all(|a| p.contains(a)) => Some(p.clone()),
        _ => Some(api),
    }
}

/// A string from the API; empty or absent stays as the user had it (`""` or unset).
pub fn keep_text(prior: &Option<String>, api: Option<String>) -> Option<String> {
    match api.filter(|a| !a.is_empty()) {
        Some(a) => Some(a),
        None => prior.as_ref().filter(|p| p.is_empty()).cloned(),
    }
}

pub fn keep_labels(
    prior: &Option<BTreeMap<String, String>>,
    api: Option<BTreeMap<String, String>>,
) -> Option<BTreeMap<String, String>> {
    match api.filter(|a| !a.is_empty()) {
        Some(a) => Some(a),
        None => prior.as_ref().filter(|p| p.is_empty()).cloned(),
    }
}

/// The model after reading `pool`: API values, in `current`'s spelling where equivalent.
/// `instance_type` is the value to show (the caller maps the API's id to the user's form).
pub fn refreshed(
    current: &InstancePoolModel,
    pool: &InstancePool,
    instance_type: String,
) -> InstancePoolModel {
    let user_data = match (&pool.user_data, &current.user_data) {
        (None, _) => None,
        (Some(api), Some(mine)) if encode_user_data(mine) == *api => Some(mine.clone()),
        (Some(api), _) => Some(decode_user_data(api)),
    };
    let manager = pool.manager.as_ref();
    // A value the API leaves out keeps what the model knew (never unknown: state is known).
    let or_current = |api: Option<String>, mine: &Tri<String>| -> Tri<String> {
        api.or_else(|| mine.known().cloned()).into()
    };
    InstancePoolModel {
        id: or_current(pool.id.clone(), &current.id),
        zone: current.zone.known().cloned().into(),
        name: pool.name.clone().unwrap_or_else(|| current.name.clone()),
        description: keep_text(&current.description, pool.description.clone()),
        size: pool.size.unwrap_or(current.size),
        instance_type,
        instance_type_id: pool.instance_type.as_ref().map(|t| t.id.clone()).into(),
        template_id: pool
            .template
            .as_ref()
            .map_or_else(|| current.template_id.clone(), |t| t.id.clone()),
        disk_size: pool.disk_size.unwrap_or(current.disk_size),
        instance_prefix: Some(
            pool.instance_prefix
                .clone()
                .unwrap_or_else(|| DEFAULT_PREFIX.to_string()),
        ),
        labels: keep_labels(&current.labels, pool.labels.clone()),
        security_group_ids: keep_set(&current.security_group_ids, ids(&pool.security_groups)),
        private_network_ids: keep_set(&current.private_network_ids, ids(&pool.private_networks)),
        anti_affinity_group_ids: keep_set(
            &current.anti_affinity_group_ids,
            ids(&pool.anti_affinity_groups),
        ),
        elastic_ip_ids: keep_set(&current.elastic_ip_ids, ids(&pool.elastic_ips)),
        ssh_keys: keep_set(&current.ssh_keys, ssh_key_names(pool)),
        user_data,
        public_ip_assignment: or_current(
            pool.public_ip_assignment.clone(),
            &current.public_ip_assignment,
        ),
        ipv6_enabled: pool
            .ipv6_enabled
            .or(current.ipv6_enabled.known().copied())
            .into(),
        min_available: Some(pool.min_available.unwrap_or(0)),
        deploy_target_id: pool.deploy_target.as_ref().map(|d| d.id.clone()),
        application_consistent_snapshot_enabled: Some(
            pool.application_consistent_snapshot_enabled
                .unwrap_or(false),
        ),
        wait_for_instances: Some(current.wait_for_instances.unwrap_or(false)),
        state: pool.state.as_ref().map(ToString::to_string).into(),
        instance_ids: Tri::Known(ids(&pool.instances)),
        // Filled by the caller, which lists the members (one more call).
        instances: Tri::Null,
        manager_id: manager.and_then(|m| m.id.clone()).into(),
        manager_type: manager.and_then(|m| m.kind.clone()).into(),
        timeouts: current.timeouts.clone(),
    }
}

/// A planned model recorded as state when apply could not read the pool back: values the
/// plan left unknown become null (state is always known).
pub fn settled(mut model: InstancePoolModel) -> InstancePoolModel {
    fn known<T>(v: &mut Tri<T>) {
        if v.is_unknown() {
            *v = Tri::Null;
        }
    }
    known(&mut model.id);
    known(&mut model.zone);
    known(&mut model.instance_type_id);
    known(&mut model.public_ip_assignment);
    known(&mut model.ipv6_enabled);
    known(&mut model.state);
    known(&mut model.instance_ids);
    known(&mut model.instances);
    known(&mut model.manager_id);
    known(&mut model.manager_type);
    model
}

/// The API's default instance name prefix.
pub const DEFAULT_PREFIX: &str = "pool";

/// The smallest pool the API creates: a pool planned smaller is created at this size and
/// scaled down in the same apply.
pub const MIN_CREATE_SIZE: i64 = 1;

pub fn create_body(planned: &InstancePoolModel, instance_type_id: &str) -> CreateInstancePool {
    let list = |v: &Option<Vec<String>>| v.as_deref().map(id_refs);
    CreateInstancePool {
        name: planned.name.clone(),
        size: planned.size.max(MIN_CREATE_SIZE),
        instance_type: IdRef::new(instance_type_id),
        template: IdRef::new(&planned.template_id),
        disk_size: planned.disk_size,
        description: planned.description.clone(),
        instance_prefix: planned.instance_prefix.clone(),
        user_data: planned.user_data.as_deref().map(encode_user_data),
        ssh_key: None,
        ssh_keys: planned
            .ssh_keys
            .as_ref()
            .map(|keys| keys.iter().map(NameRef::new).collect()),
        security_groups: list(&planned.security_group_ids),
        private_networks: list(&planned.private_network_ids),
        elastic_ips: list(&planned.elastic_ip_ids),
        anti_affinity_groups: list(&planned.anti_affinity_group_ids),
        deploy_target: planned.deploy_target_id.as_ref().map(IdRef::new),
        // Unknown: the API decides (it ties one to the other).
        ipv6_enabled: planned.ipv6_enabled.known().copied(),
        public_ip_assignment: planned.public_ip_assignment.known().cloned(),
        application_consistent_snapshot_enabled: planned.application_consistent_snapshot_enabled,
        min_available: planned.min_available,
        labels: planned.labels.clone(),
    }
}

/// The API calls that turn `prior` into `planned`: one update (changed fields, lists whole),
/// one reset per optional field the user removed, and the new size if it changed. A value
/// the plan leaves unknown is the API's to decide: it is neither sent nor reset.
#[derive(Debug, Default, PartialEq)]
pub struct Changes {
    pub update: UpdateInstancePool,
    pub resets: Vec<ResettableField>,
    pub scale: Option<i64>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.update.is_empty() && self.resets.is_empty() && self.scale.is_none()
    }
}

/// What an optional field's change asks of the API: a value to send or a reset.
fn diff<T: PartialEq, A>(
    prior: Option<&T>,
    planned: Option<&T>,
    reset: Option<ResettableField>,
    resets: &mut Vec<ResettableField>,
    to_api: impl Fn(&T) -> A,
) -> Option<A> {
    match (prior, planned) {
        (Some(_), None) => {
            resets.extend(reset);
            None
        }
        (before, Some(now)) if before != Some(now) => Some(to_api(now)),
        _ => None,
    }
}

/// A computed field's change: only a known planned value that differs is sent.
fn diff_known<T: PartialEq + Clone>(prior: &Tri<T>, planned: &Tri<T>) -> Option<T> {
    match (prior, planned) {
        (before, Tri::Known(now)) if before.known() != Some(now) => Some(now.clone()),
        _ => None,
    }
}

fn same_set(a: &Option<Vec<String>>, b: &Option<Vec<String>>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.len() == b.len() && a.iter().all(|x| b.contains(x)),
        (a, b) => a == b,
    }
}

pub fn changes(prior: &InstancePoolModel, planned: &InstancePoolModel) -> Changes {
    use ResettableField as F;
    let mut c = Changes::default();
    let (u, r) = (&mut c.update, &mut c.resets);
    let set = |before: &Option<Vec<String>>, now: &Option<Vec<String>>, field, r: &mut Vec<_>| {
        if same_set(before, now) {
            None
        } else {
            diff(
                before.as_ref(),
                now.as_ref(),
                Some(field),
                r,
                |v: &Vec<String>| id_refs(v),
            )
        }
    };
    if prior.name != planned.name {
        u.name = Some(planned.name.clone());
    }
    u.description = diff(
        prior.description.as_ref(),
        planned.description.as_ref(),
        Some(F::Description),
        r,
        Clone::clone,
    );
    u.instance_type =
        diff_known(&prior.instance_type_id, &planned.instance_type_id).map(IdRef::new);
    if prior.template_id != planned.template_id {
        u.template = Some(IdRef::new(&planned.template_id));
    }
    if prior.disk_size != planned.disk_size {
        u.disk_size = Some(planned.disk_size);
    }
    u.instance_prefix = diff(
        prior.instance_prefix.as_ref(),
        planned.instance_prefix.as_ref(),
        None,
        r,
        Clone::clone,
    );
    u.labels = diff(
        prior.labels.as_ref(),
        planned.labels.as_ref(),
        Some(F::Labels),
        r,
        Clone::clone,
    );
    u.security_groups = set(
        &prior.security_group_ids,
        &planned.security_group_ids,
        F::SecurityGroups,
        r,
    );
    u.private_networks = set(
        &prior.private_network_ids,
        &planned.private_network_ids,
        F::PrivateNetworks,
        r,
    );
    u.anti_affinity_groups = set(
        &prior.anti_affinity_group_ids,
        &planned.anti_affinity_group_ids,
        F::AntiAffinityGroups,
        r,
    );
    u.elastic_ips = set(
        &prior.elastic_ip_ids,
        &planned.elastic_ip_ids,
        F::ElasticIps,
        r,
    );
    // The API has no reset for the `ssh-keys` list: an empty list clears it.
    if !same_set(&prior.ssh_keys, &planned.ssh_keys) {
        let keys = planned.ssh_keys.clone().unwrap_or_default();
        u.ssh_keys = Some(keys.iter().map(NameRef::new).collect());
    }
    let user_data_changed = match (&prior.user_data, &planned.user_data) {
        (Some(a), Some(b)) => !same_user_data(a, b),
        (a, b) => a.is_some() != b.is_some(),
    };
    if user_data_changed {
        u.user_data = diff(
            prior.user_data.as_ref(),
            planned.user_data.as_ref(),
            Some(F::UserData),
            r,
            |s: &String| encode_user_data(s),
        );
    }
    u.public_ip_assignment = diff_known(&prior.public_ip_assignment, &planned.public_ip_assignment);
    u.ipv6_enabled = diff_known(&prior.ipv6_enabled, &planned.ipv6_enabled);
    u.min_available = diff(
        prior.min_available.as_ref(),
        planned.min_available.as_ref(),
        None,
        r,
        |n| *n,
    );
    u.deploy_target = diff(
        prior.deploy_target_id.as_ref(),
        planned.deploy_target_id.as_ref(),
        Some(F::DeployTarget),
        r,
        |id: &String| IdRef::new(id),
    );
    u.application_consistent_snapshot_enabled = diff(
        prior.application_consistent_snapshot_enabled.as_ref(),
        planned.application_consistent_snapshot_enabled.as_ref(),
        None,
        r,
        |b| *b,
    );
    if prior.size != planned.size {
        c.scale = Some(planned.size);
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_data_is_sent_base64_once() {
        assert_eq!(encode_user_data("#cloud-config\n"), "I2Nsb3VkLWNvbmZpZwo=");
        assert_eq!(
            encode_user_data("I2Nsb3VkLWNvbmZpZwo="),
            "I2Nsb3VkLWNvbmZpZwo="
        );
        assert_eq!(decode_user_data("I2Nsb3VkLWNvbmZpZwo="), "#cloud-config\n");
        assert!(same_user_data("#cloud-config\n", "I2Nsb3VkLWNvbmZpZwo="));
        assert!(!same_user_data("a: 1", "a: 2"));
    }

    /// `#cloud-config\npackages: [nginx]\n`, gzip-compressed (mtime 0), in base64.
    const GZIPPED: &str =
        "H4sIAAAAAAACA1NOzskvTdFNzs9Ly0znKkhMzk5MTy22UojOS8/Mq4jlAgCGOqBiIAAAAA==";

    #[test]
    fn only_canonical_base64_of_a_cloud_init_document_counts_as_encoded() {
        // Valid base64, but of bytes no cloud-init reads: plain text.
        assert!(!is_encoded_user_data("test"));
        assert_eq!(encode_user_data("test"), "dGVzdA==");
        assert!(!is_encoded_user_data("abcd1234"));
        // A cloud-init document in base64, in each form cloud-init accepts.
        for document in [
            "#cloud-config\n",
            "#!/bin/sh\necho hi\n",
            "#include\nhttps://example.com/a\n",
            "## template: jinja\n#cloud-config\n",
            "Content-Type: multipart/mixed; boundary=x\n",
            "content-type: text/x-shellscript\n",
        ] {
            let encoded = STANDARD.encode(document);
            assert!(is_encoded_user_data(&encoded), "{document}");
            assert_eq!(encode_user_data(&encoded), encoded);
            assert_eq!(encode_user_data(document), encoded, "encoded once");
        }
        assert!(is_encoded_user_data(GZIPPED));
        assert_eq!(encode_user_data(GZIPPED), GZIPPED);
        // Not canonical: unpadded, non-zero trailing bits, line breaks, surrounding space.
        for almost in [
            "I2Nsb3VkLWNvbmZpZwo",
            "I2Nsb3VkLWNvbmZpZwp=",
            "I2Nsb3VkLWNv\nbmZpZwo=",
            " I2Nsb3VkLWNvbmZpZwo=",
        ] {
            assert!(!is_encoded_user_data(almost), "{almost:?}");
            assert_eq!(encode_user_data(almost), STANDARD.encode(almost));
        }
        assert!(!is_encoded_user_data(""));
        // Text that does not start the document: leading blank line, or not UTF-8.
        assert!(!is_encoded_user_data(&STANDARD.encode("\n#cloud-config\n")));
        assert!(!is_encoded_user_data(&STANDARD.encode([b'#', 0xff])));
    }

    #[test]
    fn reading_back_shows_text_that_encodes_to_what_the_api_holds() {
        let cases = [
            ("test", "dGVzdA==", "test"),
            ("#cloud-config\n", "I2Nsb3VkLWNvbmZpZwo=", "#cloud-config\n"),
            (
                "I2Nsb3VkLWNvbmZpZwo=",
                "I2Nsb3VkLWNvbmZpZwo=",
                "#cloud-config\n",
            ),
            // Not UTF-8: the base64 itself, which is sent as is.
            (GZIPPED, GZIPPED, GZIPPED),
        ];
        for (mine, api, shown) in cases {
            assert_eq!(encode_user_data(mine), api, "{mine:?}");
            assert_eq!(decode_user_data(api), shown, "{api:?}");
            assert_eq!(encode_user_data(shown), api, "{shown:?}");
        }
        // Text whose re-encoding would differ is shown in the API's base64: a cloud-config
        // encoded twice (by another tool) or bytes that are neither text nor gzip. No
        // spelling sends these, but the state shows what the API holds.
        for api in [
            STANDARD.encode("I2Nsb3VkLWNvbmZpZwo="),
            STANDARD.encode([0xff, 0xfe]),
        ] {
            assert_eq!(decode_user_data(&api), api);
            assert_ne!(encode_user_data(&api), api);
        }
    }

    #[test]
    fn refreshed_keeps_each_spelling_of_the_same_user_data() {
        let pool = |api: &str| InstancePool {
            user_data: Some(api.to_string()),
            ..Default::default()
        };
        let spellings = [
            "test",
            "#cloud-config\npackages: [nginx]\n",
            "I2Nsb3VkLWNvbmZpZwo=",
            GZIPPED,
        ];
        for mine in spellings {
            let current = InstancePoolModel {
                user_data: Some(mine.to_string()),
                ..model()
            };
            let api = encode_user_data(mine);
            let after = refreshed(&current, &pool(&api), current.instance_type.clone());
            assert_eq!(after.user_data.as_deref(), Some(mine));
            // Without a prior spelling (import), the text shown sends the same bytes.
            let imported = refreshed(&model(), &pool(&api), "standard.small".into());
            let shown = imported.user_data.unwrap_or_default();
            assert_eq!(encode_user_data(&shown), api, "{mine:?}");
            assert!(same_user_data(&shown, mine));
        }
        let changed = InstancePoolModel {
            user_data: Some("test".into()),
            ..model()
        };
        let after = refreshed(&changed, &pool("b3RoZXI="), "standard.small".into());
        assert_eq!(after.user_data.as_deref(), Some("other"));
    }

    #[test]
    fn sets_keep_the_prior_order_and_emptiness() {
        let prior = Some(vec!["b".to_string(), "a".to_string()]);
        assert_eq!(keep_set(&prior, vec!["a".into(), "b".into()]), prior);
        assert_eq!(
            keep_set(&prior, vec!["c".into()]),
            Some(vec!["c".to_string()])
        );
        assert_eq!(keep_set(&prior, vec![]), None);
        assert_eq!(keep_set(&Some(vec![]), vec![]), Some(vec![]));
        assert_eq!(keep_text(&None, Some(String::new())), None);
        assert_eq!(keep_text(&Some(String::new()), None), Some(String::new()));
    }

    fn model() -> InstancePoolModel {
        InstancePoolModel {
            name: "web".into(),
            size: 2,
            instance_type: "standard.small".into(),
            template_id: "t".into(),
            disk_size: 10,
            labels: Some(BTreeMap::from([("env".to_string(), "a".to_string())])),
            security_group_ids: Some(vec!["s1".into(), "s2".into()]),
            ..Default::default()
        }
    }

    #[test]
    fn changes_split_into_update_resets_and_scale() {
        let prior = model();
        let mut planned = model();
        planned.size = 5;
        assert_eq!(
            changes(&prior, &planned),
            Changes {
                scale: Some(5),
                ..Default::default()
            }
        );
        planned.labels = None;
        planned.security_group_ids = Some(vec!["s2".into(), "s1".into()]);
        planned.description = Some("d".into());
        let c = changes(&prior, &planned);
        assert_eq!(c.resets, vec![ResettableField::Labels]);
        assert_eq!(c.update.description.as_deref(), Some("d"));
        assert_eq!(c.update.security_groups, None);
        assert_eq!(c.update.labels, None);
    }
}
