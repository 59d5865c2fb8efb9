//! The provider's `ona` block: the token and the API base URL, with the environment
//! variables the official SDK reads.

use std::time::Duration;

use super::descriptions as doc;
use crate::ona::api::client::{OnaClient, DEFAULT_BASE_URL};
use crate::plugin::{
    string_setting, validators, Attribute, Block, Ctx, Diagnostic, Diagnostics, Settings, Stop,
    Tri, Value,
};
use crate::trust;
use crate::wait::{self, Wait};

/// Settings every Ona API call needs (see [`crate::plugin::Resource::settings`]).
pub const API_SETTINGS: &[&str] = &["ona.token", "ona.endpoint", "ona.ca_file"];

/// What Ona resources receive once the provider is configured.
pub struct Ona {
    /// `Err` holds the message to show when a resource needs the API but no token is set.
    pub client: Result<OnaClient, String>,
    /// How long the API may keep failing before a wait gives up (`failure_window`).
    pub failure_window: Duration,
}

impl Ona {
    /// A wait of `limit`, set by `timeouts.<timeout>`, that gives up on a failure lasting
    /// the provider's `failure_window`.
    pub fn wait(ctx: &Ctx, timeout: &'static str, limit: Duration) -> Wait {
        let window = ctx
            .data::<Ona>()
            .map_or(wait::FAILURE_WINDOW, |o| o.failure_window);
        Wait::new(timeout, limit, &ctx.stop).failing_for(window)
    }

    pub fn client(ctx: &Ctx) -> Result<&OnaClient, Diagnostics> {
        ctx.data::<Ona>()?
            .client
            .as_ref()
            .map_err(|m| Diagnostic::error("Ona is not configured", m.clone()).into())
    }
}

pub fn block() -> Block {
    Block::new("Ona (formerly Gitpod) API access, for `pools_warm_pool`.")
        .attribute(
            Attribute::string("token")
                .optional()
                .sensitive()
                .describe(doc::TOKEN)
                .validate(validators::not_empty())
                .validate(validators::header_safe()),
        )
        .attribute(
            Attribute::string("endpoint")
                .optional()
                .describe(&doc::endpoint())
                .validate(validators::http_url()),
        )
        .attribute(trust::ca_file_attribute("Ona API"))
        .attribute(wait::failure_window_attribute("Ona API"))
}

/// Reads the `ona` block of the provider's configuration (null when absent).
pub fn configure(
    config: &Value,
    stop: &Stop,
    settings: &mut Settings,
    diags: &mut Diagnostics,
) -> Ona {
    let schema = block();
    let block = config.attr("ona");
    let mut setting =
        |name, env: &[&str]| string_setting(block, ["ona", name], &schema, env, diags);
    let endpoint = match setting("endpoint", &["ONA_BASE_URL"]) {
        Tri::Null => Tri::Known(
            match std::env::var("ONA_HOST").ok().filter(|h| !h.is_empty()) {
                Some(host) => api_of_host(&host),
                None => DEFAULT_BASE_URL.to_string(),
            },
        ),
        other => other,
    };
    let token = setting("token", &["ONA_API_KEY", "GITPOD_API_KEY", "ONA_TOKEN"]);
    if token.is_null() {
        settings.set_missing(
            "ona.token",
            "set `token` in the provider's `ona` block, or the ONA_API_KEY (or GITPOD_API_KEY, ONA_TOKEN) environment variable",
        );
    }
    let trust = trust::ca_file_setting(block, "ona", diags);
    for (name, unknown) in [
        ("ona.token", token.is_unknown()),
        ("ona.endpoint", endpoint.is_unknown()),
        ("ona.ca_file", trust.is_unknown()),
    ] {
        if unknown {
            settings.set_unknown(name);
        }
    }
    let client = match (token, endpoint, trust) {
        (Tri::Known(token), Tri::Known(endpoint), Tri::Known(trust)) => {
            OnaClient::with_trust(&token, &endpoint, &trust)
                .map(|c| c.with_stop(stop.clone()))
                .map_err(|e| e.to_string())
        }
        (Tri::Unknown, ..) | (_, Tri::Unknown, _) | (.., Tri::Unknown) => {
            Err("The provider's `ona` settings are known only after apply.".to_string())
        }
        _ => Err(
            "Set `token` in the provider's `ona` block, or the ONA_API_KEY environment variable."
                .to_string(),
        ),
    };
    Ona {
        client,
        failure_window: wait::failure_window_setting(block),
    }
}

/// The API base URL of an Ona application host as the official provider's `ONA_HOST`
/// names it (`https://app.gitpod.io`, or a bare host name, taken as https).
fn api_of_host(host: &str) -> String {
    let host = host.trim().trim_end_matches('/');
    if host.starts_with("https://") || host.starts_with("http://") {
        format!("{host}/api")
    } else {
        format!("https://{host}/api")
    }
}

#[cfg(test)]
mod tests {
    use super::api_of_host;

    #[test]
    fn an_ona_host_names_its_api() {
        assert_eq!(
            api_of_host("https://app.gitpod.io"),
            "https://app.gitpod.io/api"
        );
        assert_eq!(api_of_host("app.ona.com/"), "https://app.ona.com/api");
        assert_eq!(
            api_of_host("http://127.0.0.1:8080"),
            "http://127.0.0.1:8080/api"
        );
    }
}
