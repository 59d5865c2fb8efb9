# Every warm pool of one project.
data "pools_warm_pools" "app" {
  project_ids = ["0c000000-0000-4000-8000-000000000001"]
}

output "app_warm_pool_ids" {
  value = data.pools_warm_pools.app.ids
}
