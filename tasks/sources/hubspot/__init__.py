"""HubSpot CRM v3: contacts → leads, deals (with their contacts and companies) → deals."""
