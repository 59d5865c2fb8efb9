terraform {
  required_providers {
    pools = {
      source = "terraform.local/pools/pools"
    }
  }
}

# Every setting is optional and falls back to an environment variable:
# EXOSCALE_API_KEY, EXOSCALE_API_SECRET, EXOSCALE_ZONE, EXOSCALE_API_ENDPOINT,
# ONA_API_KEY and ONA_BASE_URL. Configure only the platforms you use.
provider "pools" {
  exoscale {
    key    = var.exoscale_api_key
    secret = var.exoscale_api_secret
    zone   = "ch-gva-2"
    # The default; `{zone}` stands for the zone of each request.
    endpoint = "https://api-{zone}.exoscale.com/v2"
  }

  ona {
    token = var.ona_token
  }
}

variable "exoscale_api_key" {
  type = string
}

variable "exoscale_api_secret" {
  type      = string
  sensitive = true
}

variable "ona_token" {
  type      = string
  sensitive = true
}
