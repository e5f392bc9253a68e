package provider

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// CanonicalJSON renders a schema (or any JSON value) the way the golden
// file stores it: object keys sorted, two-space indent, no HTML escaping,
// a final newline. `make sdk-check` renders the plugin's
// `pulumi package get-schema` output with it to compare.
func CanonicalJSON(v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var generic any
	if err := json.Unmarshal(raw, &generic); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(generic); err != nil {
		return nil, fmt.Errorf("encoding the schema: %w", err)
	}
	return b.Bytes(), nil
}
