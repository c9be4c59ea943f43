import TokenResults

extension LoadConfiguration {
    /// These settings as `result.json` records them (``RunSettings``: the same keys and values
    /// this type encodes, as a plain record that results code reads without the driver).
    public var record: RunSettings {
        // Encoding a validated configuration cannot fail (non-finite numbers are written as
        // strings); an empty record would only lose the settings section of the file.
        (try? RunSettings(encoding: self)) ?? RunSettings()
    }

    /// The settings a result recorded, read back as the driver's configuration.
    /// - Throws: `DecodingError` when the record is not a configuration's shape.
    public init(record: RunSettings) throws {
        self = try record.decode(as: LoadConfiguration.self)
    }
}
