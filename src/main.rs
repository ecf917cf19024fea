fn main() {
    std::process::exit(swmq::cli::run());
}
