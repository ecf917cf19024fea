//! Generates the Rust code of every protocol from `proto/` with protox (no system protoc).
//! Each protocol goes into its own `OUT_DIR` subfolder, because 2.x and 4.x both declare
//! the package `messaging_pb` with incompatible messages.
use std::path::PathBuf;

fn generate(
    name: &str,
    files: &[&str],
    include: &str,
    server: bool,
) -> Result<(), Box<dyn std::error::Error>> {
    let out = PathBuf::from(std::env::var("OUT_DIR")?).join(name);
    std::fs::create_dir_all(&out)?;
    let fds = protox::compile(files, [include])?;
    tonic_prost_build::configure()
        .build_server(server)
        .build_client(true)
        .bytes(".")
        .out_dir(&out)
        .compile_fds(fds)?;
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto");
    generate("v2", &["proto/v2/messaging.proto"], "proto/v2", true)?;
    generate(
        "mq",
        &["proto/mq/mq_broker.proto", "proto/mq/mq_schema.proto"],
        "proto/mq",
        false,
    )?;
    generate("filer", &["proto/filer/filer.proto"], "proto/filer", false)?;
    generate(
        "master",
        &["proto/master/master.proto"],
        "proto/master",
        false,
    )?;
    generate(
        "admin",
        &["proto/admin/swmq_admin.proto"],
        "proto/admin",
        true,
    )?;
    Ok(())
}
