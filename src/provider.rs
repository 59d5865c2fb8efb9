//! The `pools` provider: its configuration (Exoscale and Ona credentials and endpoints, each
//! with an environment fallback) and the resources and data sources it serves.

use std::any::Any;
use std::sync::Arc;

use async_trait::async_trait;

use crate::exoscale::client::{ExoscaleClient, DEFAULT_ENDPOINT as EXOSCALE_DEFAULT_ENDPOINT};
use crate::exoscale::data_source::{InstancePoolDataSource, InstancePoolsDataSource};
use crate::exoscale::resource::InstancePoolResource;
use crate::ona::client::{OnaClient, DEFAULT_BASE_URL as ONA_DEFAULT_BASE_URL};
use crate::ona::data_source::{WarmPoolDataSource, WarmPoolsDataSource};
use crate::ona::resource::WarmPoolResource;
use crate::plugin::cty::Value;
use crate::plugin::diag::{AttrPath, Diagnostic, Diagnostics};
use crate::plugin::resource::{attr, data_source, resource, AnyDataSource, AnyResource, Provider};
use crate::plugin::schema::{Attribute, Block, NestedBlock, Schema};
use crate::plugin::validators;
use crate::wait::Stop;

/// Exoscale zones with an API endpoint (the live list is `GET /zone`).
pub const EXOSCALE_ZONES: &[&str] = &[
    "ch-gva-2", "ch-dk-2", "de-fra-1", "de-muc-1", "at-vie-1", "at-vie-2", "bg-sof-1", "hr-zag-1",
];
pub const DEFAULT_ZONE: &str = "ch-gva-2";

pub struct PoolsProvider;

/// What resources receive once the provider is configured. A backend whose credentials are
/// missing is `Err` with the message to show when a resource of that backend is used, so
/// a configuration that uses only one backend needs only that backend's credentials.
pub struct ProviderData {
    pub exoscale: Result<ExoscaleClient, String>,
    pub default_zone: String,
    pub ona: Result<OnaClient, String>,
}

impl ProviderData {
    pub fn exoscale(&self) -> Result<&ExoscaleClient, Diagnostics> {
        self.exoscale
            .as_ref()
            .map_err(|m| Diagnostic::error("Exoscale is not configured", m.clone()).into())
    }

    pub fn ona(&self) -> Result<&OnaClient, Diagnostics> {
        self.ona
            .as_ref()
            .map_err(|m| Diagnostic::error("Ona is not configured", m.clone()).into())
    }
}

fn http_url() -> impl validators::Validator {
    validators::custom(
        "an http:// or https:// URL",
        |v| matches!(v, Value::String(s) if (s.starts_with("https://") || s.starts_with("http://")) && s.len() > 8),
    )
}

fn provider_schema() -> Schema {
    let exoscale = Block::new("Exoscale API access, for `pools_instance_pool`.")
        .attribute(
            Attribute::string("key")
                .optional()
                .describe("Exoscale API key. Default: the `EXOSCALE_API_KEY` (or `EXOSCALE_KEY`) environment variable.")
                .validate(validators::not_empty()),
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
                .validate(validators::one_of(EXOSCALE_ZONES)),
        )
        .attribute(
            Attribute::string("endpoint")
                .optional()
                .describe(&format!(
                    "API endpoint, where `{{zone}}` stands for the zone. Default: the `EXOSCALE_API_ENDPOINT` environment variable, else `{EXOSCALE_DEFAULT_ENDPOINT}`."
                ))
                .validate(http_url()),
        );
    let ona = Block::new("Ona (formerly Gitpod) API access, for `pools_warm_pool`.")
        .attribute(
            Attribute::string("token")
                .optional()
                .sensitive()
                .describe("Ona personal access token. Default: the `ONA_API_KEY` (or `GITPOD_API_KEY`) environment variable.")
                .validate(validators::not_empty()),
        )
        .attribute(
            Attribute::string("endpoint")
                .optional()
                .describe(&format!(
                    "API base URL. Default: the `ONA_BASE_URL` environment variable, else `{ONA_DEFAULT_BASE_URL}`."
                ))
                .validate(http_url()),
        );
    Schema::new(
        Block::new("Manages Exoscale Instance Pools and Ona prebuild warm pools.")
            .block(NestedBlock::single("exoscale", exoscale))
            .block(NestedBlock::single("ona", ona)),
    )
}

/// The configured string at `block.name`, else the first environment variable set.
fn setting(config: &Value, block: &str, name: &str, env: &[&str]) -> Option<String> {
    match attr(attr(config, block), name) {
        Value::String(s) => Some(s.clone()),
        _ => env
            .iter()
            .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty())),
    }
}

#[async_trait]
impl Provider for PoolsProvider {
    fn type_name(&self) -> &'static str {
        "pools"
    }

    fn schema(&self) -> Schema {
        provider_schema()
    }

    async fn configure(
        &self,
        config: &Value,
        stop: &Stop,
        diags: &mut Diagnostics,
    ) -> Option<Arc<dyn Any + Send + Sync>> {
        let zone = setting(config, "exoscale", "zone", &["EXOSCALE_ZONE"])
            .unwrap_or_else(|| DEFAULT_ZONE.to_string());
        if !EXOSCALE_ZONES.contains(&zone.as_str()) {
            // Only reachable through EXOSCALE_ZONE: the attribute itself is validated earlier.
            diags.error_at(
                AttrPath::attrs(&["exoscale", "zone"]),
                "Invalid Exoscale zone",
                format!(
                    "EXOSCALE_ZONE is {zone:?}; it must be one of {}.",
                    EXOSCALE_ZONES.join(", ")
                ),
            );
        }
        let endpoint = setting(config, "exoscale", "endpoint", &["EXOSCALE_API_ENDPOINT"])
            .unwrap_or_else(|| EXOSCALE_DEFAULT_ENDPOINT.to_string());
        let key = setting(
            config,
            "exoscale",
            "key",
            &["EXOSCALE_API_KEY", "EXOSCALE_KEY"],
        );
        let secret = setting(
            config,
            "exoscale",
            "secret",
            &["EXOSCALE_API_SECRET", "EXOSCALE_SECRET"],
        );
        let exoscale = match (key, secret) {
            (Some(key), Some(secret)) => ExoscaleClient::new(&key, &secret, &endpoint)
                .map(|c| c.with_stop(stop.clone()))
                .map_err(|e| e.to_string()),
            _ => Err("Set `key` and `secret` in the provider's `exoscale` block, or the EXOSCALE_API_KEY and EXOSCALE_API_SECRET environment variables.".to_string()),
        };
        let ona_endpoint = setting(config, "ona", "endpoint", &["ONA_BASE_URL"])
            .unwrap_or_else(|| ONA_DEFAULT_BASE_URL.to_string());
        let ona = match setting(config, "ona", "token", &["ONA_API_KEY", "GITPOD_API_KEY"]) {
            Some(token) => OnaClient::new(&token, &ona_endpoint).map(|c| c.with_stop(stop.clone())).map_err(|e| e.to_string()),
            None => Err("Set `token` in the provider's `ona` block, or the ONA_API_KEY environment variable.".to_string()),
        };
        if diags.has_errors() {
            return None;
        }
        Some(Arc::new(ProviderData {
            exoscale,
            default_zone: zone,
            ona,
        }))
    }

    fn resources(&self) -> Vec<Box<dyn AnyResource>> {
        vec![
            resource(InstancePoolResource::default()),
            resource(WarmPoolResource),
        ]
    }

    fn data_sources(&self) -> Vec<Box<dyn AnyDataSource>> {
        vec![
            data_source(InstancePoolDataSource),
            data_source(InstancePoolsDataSource),
            data_source(WarmPoolDataSource),
            data_source(WarmPoolsDataSource),
        ]
    }
}
