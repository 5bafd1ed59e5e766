//! Tells the code whether this WASM build is being split.
//!
//! `#[lazy]` compiles to wasm-split imports that only cargo-leptos' `--split`
//! step resolves; a WASM built without it (`cargo leptos watch`, `serve`,
//! `build` as typed) would load no page script. cargo-leptos adds
//! `-Clink-args=--emit-relocs` to the WASM's flags exactly when it splits,
//! so its presence is the signal: without it the lazy functions are
//! compiled into the main bundle as plain async functions (`wasm_unsplit`).

fn main() {
    println!("cargo::rustc-check-cfg=cfg(wasm_unsplit)");
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=RUSTFLAGS");
    println!("cargo::rerun-if-env-changed=CARGO_ENCODED_RUSTFLAGS");
    let wasm = std::env::var("CARGO_CFG_TARGET_ARCH").is_ok_and(|arch| arch == "wasm32");
    let flags = std::env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default();
    let splitting = flags
        .split('\x1f')
        .any(|flag| flag.contains("--emit-relocs"));
    if wasm && !splitting {
        println!("cargo::rustc-cfg=wasm_unsplit");
    }
}
