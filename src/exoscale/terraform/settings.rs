//! The provider's `exoscale` block: credentials, default zone and endpoint, each with its
//! environment fallback, and the zones the API serves.

use std::time::Duration;

use crate::exoscale::api::{ExoscaleClient, DEFAULT_ENDPOINT};
use crate::plugin::{
    string_setting, validators, AttrPath, Attribute, Block, Ctx, Diagnostic, Diagnostics, Settings,
    Stop, Tri, Value,
};
use crate::trust;
use crate::wait::{self, Wait};

/// Exoscale zones with an API endpoint (the live list is `GET /zone`).
pub const ZONES: &[&str] = &[
    "ch-gva-2", "ch-dk-2", "de-fra-1", "de-muc-1", "at-vie-1", "at-vie-2", "bg-sof-1", "hr-zag-1",
];
pub const DEFAULT_ZONE: &str = "ch-gva-2";

/// Settings every Exoscale API call needs (see [`crate::plugin::Resource::settings`]).
pub const API_SETTINGS: &[&str] = &[
    "exoscale.key",
    "exoscale.secret",
    "exoscale.endpoint",
    "exoscale.ca_file",
];
/// The setting a pool's zone defaults to.
pub const ZONE_SETTING: &str = "exoscale.zone";

/// What Exoscale resources receive once the provider is configured.
pub struct Exoscale {
    /// `Err` holds the message to show when a resource needs the API but credentials are
    /// missing, so a configuration that uses only Ona needs no Exoscale key.
    pub client: Result<ExoscaleClient, String>,
    pub default_zone: Tri<String>,
    /// How long the API may keep failing before a wait gives up (`failure_window`).
    pub failure_window: Duration,
}

impl Exoscale {
    pub fn of(ctx: &Ctx) -> Result<&Exoscale, Diagnostics> {
        ctx.data::<Exoscale>()
    }

    /// A wait of `limit`, set by `timeouts.<timeout>`, that gives up on a failure lasting
    /// the provider's `failure_window`.
    pub fn wait(ctx: &Ctx, timeout: &'static str, limit: Duration) -> Wait {
        let window = Exoscale::of(ctx).map_or(wait::FAILURE_WINDOW, |e| e.failure_window);
        Wait::new(timeout, limit, &ctx.stop).failing_for(window)
    }

    /// The client, and `zone` or else the provider's default zone.
    pub fn client_and_zone<'a>(
        ctx: &'a Ctx,
        zone: Option<&str>,
    ) -> Result<(&'a ExoscaleClient, String), Diagnostics> {
        let exoscale = Exoscale::of(ctx)?;
        Ok((exoscale.client()?, exoscale.zone(zone)?))
    }

    pub fn client(&self) -> Result<&ExoscaleClient, Diagnostics> {
        self.client
            .as_ref()
            .map_err(|m| Diagnostic::error("Exoscale is not configured", m.clone()).into())
    }

    /// `zone`, else the provider's default zone.
    pub fn zone(&self, zone: Option<&str>) -> Result<String, Diagnostics> {
        match (zone, &self.default_zone) {
            (Some(zone), _) => Ok(zone.to_string()),
            (None, Tri::Known(zone)) => Ok(zone.clone()),
            (None, _) => Err(Diagnostic::error(
                "No zone",
                "Set `zone` here or in the provider's `exoscale` block (a known value), or the EXOSCALE_ZONE environment variable.",
            )
            .at(AttrPath::attrs(&["zone"]))
            .into()),
        }
    }
}

pub fn block() -> Block {
    Block::new("Exoscale API access, for `pools_instance_pool`.")
        .attribute(
            Attribute::string("key")
                .optional()
                .describe("Exoscale API key. Default: the `EXOSCALE_API_KEY` (or `EXOSCALE_KEY`) environment variable.")
                .validate(validators::not_empty())
                .validate(validators::header_safe()),
        )
        .attribute(
            Attribute::string("secret")
                .optional()
                .sensitive()
                .describe("Exoscale API secret. Default: the `EXOSCALE_API_SECRET` (or `EXOSCALE_SECRET`) environment variable.")
                .validate(validators::not_empty()),
        )
        .attribute(
            Attribute::string("zone")
                .optional()
                .describe(&format!(
                    "Default zone for resources that do not set one. Default: the `EXOSCALE_ZONE` environment variable, else `{DEFAULT_ZONE}`."
                ))
                .validate(validators::one_of(ZONES)),
        )
        .attribute(
            Attribute::string("endpoint")
                .optional()
                .describe(&format!(
                    "API endpoint, where `{{zone}}` stands for the zone. Default: the `EXOSCALE_API_ENDPOINT` environment variable, else `{DEFAULT_ENDPOINT}`."
                ))
                .validate(validators::http_url()),
        )
        .attribute(trust::ca_file_attribute("Exoscale API"))
        .attribute(wait::failure_window_attribute("Exoscale API"))
}

/// Reads the `exoscale` block of the provider's configuration (null when absent).
pub fn configure(
    config: &Value,
    stop: &Stop,
    settings: &mut Settings,
    diags: &mut Diagnostics,
) -> Exoscale {
    let schema = block();
    let block = config.attr("exoscale");
    let mut setting =
        |name, env: &[&str]| string_setting(block, ["exoscale", name], &schema, env, diags);
    let zone = match setting("zone", &["EXOSCALE_ZONE"]) {
        Tri::Null => Tri::Known(DEFAULT_ZONE.to_string()),
        other => other,
    };
    settings.set(
        ZONE_SETTING,
        match &zone {
            Tri::Known(z) => Value::String(z.clone()),
            _ => Value::Unknown(Default::default()),
        },
    );
    let endpoint = match setting("endpoint", &["EXOSCALE_API_ENDPOINT"]) {
        Tri::Null => Tri::Known(DEFAULT_ENDPOINT.to_string()),
        other => other,
    };
    let key = setting("key", &["EXOSCALE_API_KEY", "EXOSCALE_KEY"]);
    let secret = setting("secret", &["EXOSCALE_API_SECRET", "EXOSCALE_SECRET"]);
    for (name, set, how) in [
        ("exoscale.key", &key, "set `key` in the provider's `exoscale` block, or the EXOSCALE_API_KEY (or EXOSCALE_KEY) environment variable"),
        ("exoscale.secret", &secret, "set `secret` in the provider's `exoscale` block, or the EXOSCALE_API_SECRET (or EXOSCALE_SECRET) environment variable"),
    ] {
        if set.is_null() {
            settings.set_missing(name, how);
        }
    }
    let trust = trust::ca_file_setting(block, "exoscale", diags);
    for (name, unknown) in [
        ("exoscale.key", key.is_unknown()),
        ("exoscale.secret", secret.is_unknown()),
        ("exoscale.endpoint", endpoint.is_unknown()),
        ("exoscale.ca_file", trust.is_unknown()),
    ] {
        if unknown {
            settings.set_unknown(name);
        }
    }
    let client = match (key, secret, endpoint, trust) {
        (Tri::Known(key), Tri::Known(secret), Tri::Known(endpoint), Tri::Known(trust)) => {
            ExoscaleClient::with_trust(&key, &secret, &endpoint, &trust)
                .map(|c| c.with_stop(stop.clone()))
                .map_err(|e| e.to_string())
        }
        (Tri::Unknown, ..) | (_, Tri::Unknown, ..) | (_, _, Tri::Unknown, _) | (.., Tri::Unknown) => {
            Err("The provider's `exoscale` settings are known only after apply.".to_string())
        }
        _ => Err("Set `key` and `secret` in the provider's `exoscale` block, or the EXOSCALE_API_KEY and EXOSCALE_API_SECRET environment variables.".to_string()),
    };
    Exoscale {
        client,
        default_zone: zone,
        failure_window: wait::failure_window_setting(block),
    }
}
