# Look a pool up by name (or by `id`) in the provider's zone (or `zone`).
data "pools_instance_pool" "web" {
  name = "web"
}

output "web_instance_ids" {
  value = data.pools_instance_pool.web.instance_ids
}
