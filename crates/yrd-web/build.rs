//! The message catalogs are compiled into the binary by a macro that cargo cannot see read
//! them: recompile when one changes.

fn main() {
    println!("cargo:rerun-if-changed=locales");
}
