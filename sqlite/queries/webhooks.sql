-- name: CreateWebhookEndpoint :exec
INSERT INTO webhook_endpoints (tenant_id, id, url, description, events, secret, created_at)
VALUES (@tenant_id, @id, @url, @description, @events, @secret, @created_at);

-- name: GetWebhookEndpoint :one
SELECT * FROM webhook_endpoints
WHERE tenant_id = @tenant_id AND id = @id;

-- name: ListWebhookEndpoints :many
SELECT * FROM webhook_endpoints
WHERE tenant_id = @tenant_id
ORDER BY id
LIMIT 1000;

-- name: DeleteWebhookEndpoint :execrows
DELETE FROM webhook_endpoints
WHERE tenant_id = @tenant_id AND id = @id;

-- name: CreateWebhookDelivery :exec
INSERT INTO webhook_deliveries (tenant_id, id, endpoint_id, event_type, payload, status, attempts,
    response_status, last_error, created_at, updated_at, delivered_at)
VALUES (@tenant_id, @id, @endpoint_id, @event_type, @payload, @status, @attempts,
    @response_status, @last_error, @created_at, @updated_at, @delivered_at);

-- name: GetWebhookDelivery :one
SELECT * FROM webhook_deliveries
WHERE tenant_id = @tenant_id AND id = @id;

-- name: UpdateWebhookDelivery :execrows
UPDATE webhook_deliveries
SET status = @status, attempts = @attempts, response_status = @response_status,
    last_error = @last_error, updated_at = @updated_at, delivered_at = @delivered_at
WHERE tenant_id = @tenant_id AND id = @id;

-- name: ListWebhookDeliveries :many
SELECT * FROM webhook_deliveries
WHERE tenant_id = @tenant_id AND endpoint_id = @endpoint_id
ORDER BY id DESC
LIMIT @limit;
