"""Python helpers of the STEDI lakehouse: what SQL cannot do."""
