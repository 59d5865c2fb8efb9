//! A stand-in for the official Exoscale and Ona providers, for the `moved` migration test:
//! Terraform needs the provider of every resource in the state, and these are not in the
//! package registries this project installs from. It serves only the schema of the
//! resource type being moved away (as its file name says: `terraform-provider-exoscale` or
//! `terraform-provider-ona`) and refuses every change.

use std::process::ExitCode;

use async_trait::async_trait;
use terraform_provider_pools::plugin::cty::{Type, Value};
use terraform_provider_pools::plugin::schema::{Attribute, Block, Schema};
use terraform_provider_pools::plugin::server::{serve, Mode};
use terraform_provider_pools::plugin::{
    resource, AnyDataSource, AnyResource, Applied, Configured, Ctx, Diagnostic, Diagnostics,
    Provider, Resource, Stop,
};
use terraform_provider_pools::{exoscale, ona};

struct StandIn {
    provider: &'static str,
    resource: &'static str,
    layout: Type,
}

/// The source layout as a schema: every attribute optional and computed.
fn block(layout: &Type) -> Block {
    let mut block = Block::new("Stand-in.");
    if let Type::Object(attrs) = layout {
        for (name, ty) in attrs {
            block = block.attribute(Attribute::new(name, ty.clone()).optional_computed());
        }
    }
    block
}

fn refused() -> Diagnostics {
    Diagnostic::error(
        "Stand-in provider",
        "This stand-in only lets state move away.",
    )
    .into()
}

struct SchemaOnly {
    name: &'static str,
    layout: Type,
}

#[async_trait]
impl Resource for SchemaOnly {
    type Model = Value;

    fn type_name(&self) -> &'static str {
        self.name
    }

    fn schema(&self) -> Schema {
        Schema::new(block(&self.layout))
    }

    async fn create(&self, _: &Ctx, _: Value) -> Applied<Value> {
        Applied::failed(None, refused())
    }

    async fn read(&self, _: &Ctx, current: Value) -> Result<Option<Value>, Diagnostics> {
        Ok(Some(current))
    }

    async fn update(&self, _: &Ctx, prior: Value, _: Value) -> Applied<Value> {
        Applied::failed(Some(prior), refused())
    }

    async fn delete(&self, _: &Ctx, _: Value) -> Diagnostics {
        refused()
    }

    async fn import(&self, _: &Ctx, _: &str) -> Result<Value, Diagnostics> {
        Err(refused())
    }
}

#[async_trait]
impl Provider for StandIn {
    fn type_name(&self) -> &'static str {
        self.provider
    }

    fn schema(&self) -> Schema {
        Schema::new(Block::new("Stand-in."))
    }

    async fn configure(&self, _: &Value, _: &Stop, _: &mut Diagnostics) -> Option<Configured> {
        Some(Configured::default())
    }

    fn resources(&self) -> Vec<Box<dyn AnyResource>> {
        vec![resource(SchemaOnly {
            name: self.resource,
            layout: self.layout.clone(),
        })]
    }

    fn data_sources(&self) -> Vec<Box<dyn AnyDataSource>> {
        Vec::new()
    }
}

fn main() -> ExitCode {
    let me = std::env::current_exe()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_default();
    let stand_in = if me.contains("exoscale") {
        StandIn {
            provider: "exoscale",
            resource: "exoscale_instance_pool",
            layout: exoscale::terraform::migrate::source_type(),
        }
    } else if me.contains("ona") {
        StandIn {
            provider: "ona",
            resource: "ona_warm_pool",
            layout: ona::terraform::migrate::source_type(),
        }
    } else {
        eprintln!(
            "stand-in-provider: name me terraform-provider-exoscale or terraform-provider-ona"
        );
        return ExitCode::from(2);
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("stand-in-provider: {e}");
            return ExitCode::FAILURE;
        }
    };
    let address = match stand_in.provider {
        "exoscale" => "registry.terraform.io/exoscale/exoscale",
        _ => "registry.terraform.io/gitpod-io/ona",
    };
    match runtime.block_on(serve(stand_in, address, Mode::Plugin)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("stand-in-provider: {e}");
            ExitCode::FAILURE
        }
    }
}
