package curriculum

import (
	_ "embed"
	"fmt"
)

//go:embed programs/medical-assistant.yaml
var medicalAssistantYAML []byte

// MedicalAssistantProgram returns the shipped "Medical Assistant
// Apprenticeship" program as a new draft version 1, ready to adapt and
// publish. Each call returns a fresh copy.
func MedicalAssistantProgram() (*Version, error) {
	v, err := ParseProgram(medicalAssistantYAML)
	if err != nil {
		return nil, fmt.Errorf("shipped medical assistant program: %w", err)
	}
	return v, nil
}

// MedicalAssistantProgramFile returns the shipped program file, for
// download as a template.
func MedicalAssistantProgramFile() []byte {
	return append([]byte(nil), medicalAssistantYAML...)
}
