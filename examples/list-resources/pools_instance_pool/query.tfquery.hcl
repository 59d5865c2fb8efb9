# terraform query -generate-config-out=generated.tf
list "pools_instance_pool" "web" {
  provider         = pools
  include_resource = true
  config {
    zone   = "ch-gva-2"
    labels = { team = "web" }
    # Pools another service manages (an SKS nodepool's) are left out unless this is true.
    include_managed = false
  }
}
