//! The `handspun` command line. Thin: it parses arguments and calls the library.

fn main() {
    eprintln!("handspun: the command line is not built yet; see README.md for what runs today");
    std::process::exit(2);
}
