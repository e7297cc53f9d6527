/// The release this build belongs to; reported by `petrel --version` and in ApiVersions'
/// software name and version.
public enum PetrelVersion {
    public static let current = "0.1.0"
}
