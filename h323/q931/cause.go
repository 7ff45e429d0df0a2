package q931

import "fmt"

// CauseValue is a Q.850 cause value (7 bits).
type CauseValue uint8

// Q.850 cause values. The first six are the ones callwake's behaviours use.
const (
	CauseNormalCallClearing CauseValue = 16
	CauseUserBusy           CauseValue = 17
	CauseNoUserResponding   CauseValue = 18
	CauseNoAnswer           CauseValue = 19
	CauseCallRejected       CauseValue = 21
	CauseNormalUnspecified  CauseValue = 31

	CauseUnallocatedNumber              CauseValue = 1
	CauseNoRouteToNetwork               CauseValue = 2
	CauseNoRouteToDestination           CauseValue = 3
	CauseChannelUnacceptable            CauseValue = 6
	CauseSubscriberAbsent               CauseValue = 20
	CauseNumberChanged                  CauseValue = 22
	CauseRedirectedToNewDestination     CauseValue = 23
	CauseNonSelectedUserClearing        CauseValue = 26
	CauseDestinationOutOfOrder          CauseValue = 27
	CauseInvalidNumberFormat            CauseValue = 28
	CauseFacilityRejected               CauseValue = 29
	CauseResponseToStatusEnquiry        CauseValue = 30
	CauseNoCircuitAvailable             CauseValue = 34
	CauseNetworkOutOfOrder              CauseValue = 38
	CauseTemporaryFailure               CauseValue = 41
	CauseSwitchingEquipmentCongestion   CauseValue = 42
	CauseRequestedCircuitNotAvailable   CauseValue = 44
	CauseResourceUnavailable            CauseValue = 47
	CauseQualityOfServiceNotAvailable   CauseValue = 49
	CauseFacilityNotSubscribed          CauseValue = 50
	CauseIncomingCallsBarred            CauseValue = 54
	CauseBearerCapabilityNotAuthorized  CauseValue = 57
	CauseBearerCapabilityNotAvailable   CauseValue = 58
	CauseServiceNotAvailable            CauseValue = 63
	CauseBearerCapabilityNotImplemented CauseValue = 65
	CauseFacilityNotImplemented         CauseValue = 69
	CauseServiceNotImplemented          CauseValue = 79
	CauseInvalidCallReference           CauseValue = 81
	CauseIncompatibleDestination        CauseValue = 88
	CauseInvalidMessage                 CauseValue = 95
	CauseMandatoryElementMissing        CauseValue = 96
	CauseMessageTypeNonExistent         CauseValue = 97
	CauseMessageNotCompatible           CauseValue = 98
	CauseElementNonExistent             CauseValue = 99
	CauseInvalidElementContents         CauseValue = 100
	CauseMessageNotCompatibleWithState  CauseValue = 101
	CauseRecoveryOnTimerExpiry          CauseValue = 102
	CauseProtocolError                  CauseValue = 111
	CauseInterworking                   CauseValue = 127
)

var causeNames = map[CauseValue]string{
	CauseUnallocatedNumber:              "unallocated_number",
	CauseNoRouteToNetwork:               "no_route_to_network",
	CauseNoRouteToDestination:           "no_route_to_destination",
	CauseChannelUnacceptable:            "channel_unacceptable",
	CauseNormalCallClearing:             "normal_call_clearing",
	CauseUserBusy:                       "user_busy",
	CauseNoUserResponding:               "no_user_responding",
	CauseNoAnswer:                       "no_answer",
	CauseSubscriberAbsent:               "subscriber_absent",
	CauseCallRejected:                   "call_rejected",
	CauseNumberChanged:                  "number_changed",
	CauseRedirectedToNewDestination:     "redirected_to_new_destination",
	CauseNonSelectedUserClearing:        "non_selected_user_clearing",
	CauseDestinationOutOfOrder:          "destination_out_of_order",
	CauseInvalidNumberFormat:            "invalid_number_format",
	CauseFacilityRejected:               "facility_rejected",
	CauseResponseToStatusEnquiry:        "response_to_status_enquiry",
	CauseNormalUnspecified:              "normal_unspecified",
	CauseNoCircuitAvailable:             "no_circuit_available",
	CauseNetworkOutOfOrder:              "network_out_of_order",
	CauseTemporaryFailure:               "temporary_failure",
	CauseSwitchingEquipmentCongestion:   "switching_equipment_congestion",
	CauseRequestedCircuitNotAvailable:   "requested_circuit_not_available",
	CauseResourceUnavailable:            "resource_unavailable",
	CauseQualityOfServiceNotAvailable:   "quality_of_service_not_available",
	CauseFacilityNotSubscribed:          "facility_not_subscribed",
	CauseIncomingCallsBarred:            "incoming_calls_barred",
	CauseBearerCapabilityNotAuthorized:  "bearer_capability_not_authorized",
	CauseBearerCapabilityNotAvailable:   "bearer_capability_not_available",
	CauseServiceNotAvailable:            "service_not_available",
	CauseBearerCapabilityNotImplemented: "bearer_capability_not_implemented",
	CauseFacilityNotImplemented:         "facility_not_implemented",
	CauseServiceNotImplemented:          "service_not_implemented",
	CauseInvalidCallReference:           "invalid_call_reference",
	CauseIncompatibleDestination:        "incompatible_destination",
	CauseInvalidMessage:                 "invalid_message",
	CauseMandatoryElementMissing:        "mandatory_element_missing",
	CauseMessageTypeNonExistent:         "message_type_non_existent",
	CauseMessageNotCompatible:           "message_not_compatible",
	CauseElementNonExistent:             "element_non_existent",
	CauseInvalidElementContents:         "invalid_element_contents",
	CauseMessageNotCompatibleWithState:  "message_not_compatible_with_state",
	CauseRecoveryOnTimerExpiry:          "recovery_on_timer_expiry",
	CauseProtocolError:                  "protocol_error",
	CauseInterworking:                   "interworking",
}

// String returns the snake_case Q.850 name, or "cause_N" for values without
// a name here.
func (c CauseValue) String() string {
	if name, ok := causeNames[c]; ok {
		return name
	}
	return fmt.Sprintf("cause_%d", uint8(c))
}
