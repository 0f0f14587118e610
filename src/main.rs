fn main() -> std::process::ExitCode {
    shroud::cli::main()
}
