# The demo: an Exoscale Instance Pool and an Ona warm pool side by side.
#
# `cargo xtask demo` applies this against the local sandbox (create, scale to 4, destroy).
# Credentials and endpoints come from the environment, so the same files work against the
# real APIs: EXOSCALE_API_KEY, EXOSCALE_API_SECRET (optionally EXOSCALE_API_ENDPOINT,
# EXOSCALE_ZONE) and ONA_API_KEY (optionally ONA_BASE_URL). Against the real APIs, set the
# variables in variables.tf to ids of your own account.

terraform {
  required_providers {
    pools = {
      source = "terraform.local/pools/pools"
    }
  }
}

provider "pools" {}

resource "pools_instance_pool" "web" {
  name               = "demo-web"
  description        = "Web servers of the pools demo"
  size               = var.size
  instance_type      = "standard.small"
  template_id        = var.template_id
  disk_size          = 20
  instance_prefix    = "demo-web"
  security_group_ids = [var.security_group_id]
  labels = {
    app = "demo"
  }
}

resource "pools_warm_pool" "dev" {
  project_id           = var.project_id
  environment_class_id = var.environment_class_id
  min_size             = 1
  max_size             = 2
}
