terraform {
  required_providers {
    pools = {
      source  = "terraform.local/pools/pools"
      version = "~> 0.1"
    }
  }
}

# Every setting falls back to an environment variable, so the blocks may stay empty:
# EXOSCALE_API_KEY, EXOSCALE_API_SECRET, EXOSCALE_ZONE (the zone of pools that set none,
# else ch-gva-2) and ONA_API_KEY. The endpoints default to the real APIs;
# EXOSCALE_API_ENDPOINT and ONA_BASE_URL point them elsewhere, such as at pools-sandbox.
# A setting written here wins over its variable. Leave out a platform you do not use.
provider "pools" {
  exoscale {
    # Labels every instance pool of this provider carries, beside its own `labels`.
    default_labels = {
      managed-by = "terraform"
    }
  }
  ona {}
}
