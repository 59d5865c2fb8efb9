//! Which API operation a request is: Exoscale's paths parsed by hand, because the
//! `/instance-pool/{id}:scale` style does not fit a path router, and because the request log
//! and the faults name routes with the same parsing ([`route_name`]).

use axum::http::Method;

/// One API operation, parsed from method and path (path parameters still raw).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Route<'a> {
    ListZones,
    /// `GET /instance`: this sandbox's instances are all pool members.
    ListInstances,
    ListInstancePools,
    CreateInstancePool,
    GetInstancePool(&'a str),
    UpdateInstancePool(&'a str),
    DeleteInstancePool(&'a str),
    ScaleInstancePool(&'a str),
    EvictInstancePoolMembers(&'a str),
    ResetInstancePoolField(&'a str, &'a str),
    GetOperation(&'a str),
    GetLoadBalancer(&'a str),
    /// A read-only catalogue list, by its path segment (`instance-type`, `template`, ...).
    ListCatalogue(&'static str),
    GetCatalogue(&'static str, &'a str),
}

/// (path segment, operation ids for list and get, JSON key of the list, key of an entry's id)
pub(super) const CATALOGUES: [(&str, &str, &str, &str, &str); 8] = [
    (
        "instance-type",
        "list-instance-types",
        "get-instance-type",
        "instance-types",
        "id",
    ),
    (
        "template",
        "list-templates",
        "get-template",
        "templates",
        "id",
    ),
    (
        "security-group",
        "list-security-groups",
        "get-security-group",
        "security-groups",
        "id",
    ),
    (
        "private-network",
        "list-private-networks",
        "get-private-network",
        "private-networks",
        "id",
    ),
    (
        "anti-affinity-group",
        "list-anti-affinity-groups",
        "get-anti-affinity-group",
        "anti-affinity-groups",
        "id",
    ),
    (
        "elastic-ip",
        "list-elastic-ips",
        "get-elastic-ip",
        "elastic-ips",
        "id",
    ),
    (
        "ssh-key",
        "list-ssh-keys",
        "get-ssh-key",
        "ssh-keys",
        "name",
    ),
    (
        "deploy-target",
        "list-deploy-targets",
        "get-deploy-target",
        "deploy-targets",
        "id",
    ),
];

impl<'a> Route<'a> {
    /// Splits `/{zone}/v2/...` into the zone and the operation.
    pub(super) fn parse(method: &Method, path: &'a str) -> Option<(&'a str, Route<'a>)> {
        let (zone, rest) = path.strip_prefix('/')?.split_once('/')?;
        let rest = rest.strip_prefix("v2/")?;
        let segments: Vec<&str> = rest.split('/').collect();
        let route = match (method.as_str(), segments.as_slice()) {
            ("GET", ["zone"]) => Route::ListZones,
            ("GET", ["instance"]) => Route::ListInstances,
            ("GET", ["instance-pool"]) => Route::ListInstancePools,
            ("POST", ["instance-pool"]) => Route::CreateInstancePool,
            ("PUT", ["instance-pool", id]) => match id.split_once(':') {
                Some((id, "scale")) => Route::ScaleInstancePool(id),
                Some((id, "evict")) => Route::EvictInstancePoolMembers(id),
                Some(_) => return None,
                None => Route::UpdateInstancePool(id),
            },
            ("GET", ["instance-pool", id]) => Route::GetInstancePool(id),
            ("DELETE", ["instance-pool", id]) => Route::DeleteInstancePool(id),
            ("DELETE", ["instance-pool", id, field]) => Route::ResetInstancePoolField(id, field),
            ("GET", ["operation", id]) => Route::GetOperation(id),
            ("GET", ["load-balancer", id]) => Route::GetLoadBalancer(id),
            ("GET", [segment]) => {
                Route::ListCatalogue(CATALOGUES.iter().find(|c| c.0 == *segment)?.0)
            }
            ("GET", [segment, id]) => {
                Route::GetCatalogue(CATALOGUES.iter().find(|c| c.0 == *segment)?.0, id)
            }
            _ => return None,
        };
        Some((zone, route))
    }

    /// The OpenAPI operation id.
    pub(super) fn name(&self) -> &'static str {
        let catalogue = |segment: &str| CATALOGUES.iter().find(|c| c.0 == segment);
        match self {
            Route::ListZones => "list-zones",
            Route::ListInstances => "list-instances",
            Route::ListInstancePools => "list-instance-pools",
            Route::CreateInstancePool => "create-instance-pool",
            Route::GetInstancePool(_) => "get-instance-pool",
            Route::UpdateInstancePool(_) => "update-instance-pool",
            Route::DeleteInstancePool(_) => "delete-instance-pool",
            Route::ScaleInstancePool(_) => "scale-instance-pool",
            Route::EvictInstancePoolMembers(_) => "evict-instance-pool-members",
            Route::ResetInstancePoolField(..) => "reset-instance-pool-field",
            Route::GetOperation(_) => "get-operation",
            Route::GetLoadBalancer(_) => "get-load-balancer",
            Route::ListCatalogue(s) => catalogue(s).map_or("list-catalogue", |c| c.1),
            Route::GetCatalogue(s, _) => catalogue(s).map_or("get-catalogue", |c| c.2),
        }
    }
}

/// The API operation a request path names, if it is one of this API's.
pub fn route_name(method: &Method, path: &str) -> Option<&'static str> {
    Route::parse(method, path).map(|(_, route)| route.name())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_routes_like_the_openapi_operation_ids() {
        let cases = [
            ("GET", "/ch-gva-2/v2/zone", Some("list-zones")),
            ("GET", "/ch-gva-2/v2/instance", Some("list-instances")),
            (
                "POST",
                "/ch-gva-2/v2/instance-pool",
                Some("create-instance-pool"),
            ),
            (
                "PUT",
                "/x/v2/instance-pool/abc:scale",
                Some("scale-instance-pool"),
            ),
            (
                "PUT",
                "/x/v2/instance-pool/abc:evict",
                Some("evict-instance-pool-members"),
            ),
            (
                "PUT",
                "/x/v2/instance-pool/abc",
                Some("update-instance-pool"),
            ),
            ("PUT", "/x/v2/instance-pool/abc:nope", None),
            (
                "DELETE",
                "/x/v2/instance-pool/abc/labels",
                Some("reset-instance-pool-field"),
            ),
            (
                "DELETE",
                "/x/v2/instance-pool/abc",
                Some("delete-instance-pool"),
            ),
            ("GET", "/x/v2/operation/abc", Some("get-operation")),
            ("GET", "/x/v2/load-balancer/abc", Some("get-load-balancer")),
            ("GET", "/x/v2/instance-type", Some("list-instance-types")),
            ("GET", "/x/v2/ssh-key/sandbox", Some("get-ssh-key")),
            ("GET", "/x/v2/deploy-target/abc", Some("get-deploy-target")),
            ("GET", "/x/v2/bogus", None),
            ("GET", "/api/gitpod.v1.PrebuildService/GetWarmPool", None),
            ("GET", "/x/v3/zone", None),
        ];
        for (method, path, name) in cases {
            let method = Method::from_bytes(method.as_bytes()).unwrap();
            assert_eq!(route_name(&method, path), name, "{method} {path}");
        }
    }
}
