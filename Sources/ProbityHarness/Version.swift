/// The one version of Probity: `probity --version`, the attribution cache's and score store's
/// attributes and `run.json` all say this.
public enum ProbityVersion {
    public static let string = "0.4.0"
}
