# terraform query -generate-config-out=generated.tf
list "pools_warm_pool" "project" {
  provider         = pools
  include_resource = true
  config {
    project_ids = ["0c000000-0000-4000-8000-000000000001"]
  }
}
