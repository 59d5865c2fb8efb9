# Every pool in a zone whose labels include `role = "web"`.
data "pools_instance_pools" "web" {
  zone = "ch-gva-2"
  labels = {
    role = "web"
  }
}

output "web_pool_ids" {
  value = data.pools_instance_pools.web.ids
}
